"""What a plan says: its tables, summary, plan directory, checkpoint workbook, trajectory, report and pack."""
