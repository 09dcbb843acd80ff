"""Values files: load, fleet defaults, validation, semantic checks."""
