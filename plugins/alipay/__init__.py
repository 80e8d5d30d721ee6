"""Alipay (支付宝) as a payment provider: page pay, RSA2-signed open API calls, royalty splits of the fund's share."""
