"""Thin routers over the services: parse the request, call one service method, shape the reply."""
