"""handout_builder: the make-handouts library, in stage subpackages (content, render, pdf, build, checks,
deliver) over three shared modules (problems, model, editions); see README "How it is built"."""

__version__ = "0.1.0"
