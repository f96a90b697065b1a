"""handout_builder: the make-handouts library, one module per pipeline stage (see DESIGN and README)."""

__version__ = "0.1.0"
