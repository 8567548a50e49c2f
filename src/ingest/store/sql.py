"""SQL fragments the store modules share."""

IN_JSON = "(SELECT value FROM json_each(?))"  # `x IN IN_JSON` with one parameter: a JSON list of the values
