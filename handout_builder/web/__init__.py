"""Web stage: the clinic's app (Flask, served by waitress): a page for each role over the layers below."""
