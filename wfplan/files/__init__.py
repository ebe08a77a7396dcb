"""Reading and writing files safely: bounds on input, confined reading, atomic exclusive output, text that cannot run."""
