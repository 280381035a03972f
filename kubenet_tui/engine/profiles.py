"""Whose reading of the policies decides a verdict."""

from __future__ import annotations

from enum import StrEnum


class Profile(StrEnum):
    """The Kubernetes e2e reading (`upstream`), or a network plugin's own: its policy kinds, and how it
    reads NetworkPolicy. Chosen from the detected plugin, overridable (`--cni`, `:cni`)."""

    UPSTREAM = "upstream"
    CILIUM = "cilium"
    CALICO = "calico"
