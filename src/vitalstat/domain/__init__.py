"""The pure domain core: no database, no HTTP, no files."""
