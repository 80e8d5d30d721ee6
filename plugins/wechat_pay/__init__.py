"""WeChat Pay (微信支付) API v3: Native QR payments, refunds, the fund's share split off (分账), the daily trade bill."""
