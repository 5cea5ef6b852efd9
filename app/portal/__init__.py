"""The web portal under /portal: server-rendered pages over the API's services."""
