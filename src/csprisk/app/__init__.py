"""What people run: the command line, the add-in's scripts and worksheet functions, the
pipeline that ties reading, scoring, reporting and writing together, and the demo."""
