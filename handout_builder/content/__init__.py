"""Content stage: find the project, read and check handouts/ and the brand file into the model."""
