"""What programmes contribute to the core's registries."""

from __future__ import annotations

from portal.core.registries import register_purge_step

# --- Retention of signatures ---------------------------------------------------------------------


def _purge_signatures(today, dry_run: bool = False, actor=None) -> str:
    from portal.programmes.signatures import purge_signatures

    return purge_signatures(today, dry_run=dry_run, actor=actor).summary()


register_purge_step("programmes.signatures", _purge_signatures)
