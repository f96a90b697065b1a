"""Deliver stage: to patients and printers: patient fields, personalised copies, CSV batches, email,
printing."""
