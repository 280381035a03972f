"""The bundled demo cluster: manifests shipped inside the package."""
