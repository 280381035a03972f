"""Golden JSON verdicts of the bundled demo cluster (`KUBENET_UPDATE_GOLDEN=1` regenerates them)."""
