"""Pool intelligence importers: third-party lists of pools and miners, read into indicators.

One module per list format, each pure (`parse(bytes)` -> `parse_stream(fileobj)` ->
`parse_file(path)`, giving indicator rows and the lines it could not use); `formats` names
them and guesses a file's format; `store` keeps indicators in the `intel_indicators` table.
"""
