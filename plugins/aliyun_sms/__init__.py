"""Texts through Alibaba Cloud SMS (阿里云短信服务)."""
