"""Errors caused by the user's input (parameters, files, configurations).

The command line turns any :class:`InputError` into one line on stderr and exit status 2;
everything else is a bug and keeps its traceback.
"""


class InputError(ValueError):
    """Bad input: the message names the field or file (and line), the value and what is allowed."""
