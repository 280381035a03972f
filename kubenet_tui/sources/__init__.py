"""Where cluster data comes from: the live API, manifest files, the bundled demo; all read-only."""
