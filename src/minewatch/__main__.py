from minewatch.cli.main import app

app()
