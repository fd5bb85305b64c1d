"""Python unit tests of train/ (run: /usr/bin/python3 -m unittest discover -s train/tests -t .)."""
