"""PDF stage: HTML to tagged PDF with WeasyPrint, and every later step on PDF bytes (join, imposition,
encryption)."""
