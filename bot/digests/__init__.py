"""Digests for coordinators and advisors: figures in SQL, rendered as text, a chart and a workbook."""
