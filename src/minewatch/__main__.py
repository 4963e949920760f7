from minewatch.cli.main import main

main()
