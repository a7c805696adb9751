"""Language-model backends behind one small protocol (``base.Generator``), registered by name."""
