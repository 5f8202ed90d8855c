"""Caller-ID channel: a sans-IO parser for modem and standalone-unit formats plus a serial driver."""
