"""The `costmodel` command: main and one module per command group."""
