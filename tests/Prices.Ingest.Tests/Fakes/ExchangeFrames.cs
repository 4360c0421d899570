namespace Prices.Ingest.Tests.Fakes;

/// <summary>Frames in each exchange's documented public format (field names, types and shapes as the exchanges send them).</summary>
public static class ExchangeFrames
{
    public static class Coinbase
    {
        public static string Subscriptions(string product = "BTC-USD") =>
            $$"""{"type":"subscriptions","channels":[{"name":"ticker","product_ids":["{{product}}"]},{"name":"heartbeat","product_ids":["{{product}}"]}]}""";

        public static string Heartbeat(long sequence, string product = "BTC-USD") =>
            $$"""{"type":"heartbeat","sequence":{{sequence}},"last_trade_id":{{sequence * 10}},"product_id":"{{product}}","time":"2024-11-22T08:19:28.464459Z"}""";

        public static string Ticker(long sequence, string price, string product = "BTC-USD", string time = "2024-11-22T08:19:29.061769Z") =>
            $$"""{"type":"ticker","sequence":{{sequence}},"product_id":"{{product}}","price":"{{price}}","open_24h":"63110.79","volume_24h":"12532.79269678","low_24h":"62980.52","high_24h":"64313.8","volume_30d":"380783.60117027","best_bid":"{{price}}","best_bid_size":"0.46688654","best_ask":"{{price}}","best_ask_size":"1.56637040","side":"buy","time":"{{time}}","trade_id":{{sequence * 10}},"last_size":"0.0396987"}""";

        public static string Error(string message) => $$"""{"type":"error","message":"{{message}}","reason":"test"}""";
    }

    public static class Binance
    {
        public static string BookTicker(long updateId, string bid, string ask, string symbol = "BTCUSDT") =>
            $$"""{"u":{{updateId}},"s":"{{symbol}}","b":"{{bid}}","B":"31.21000000","a":"{{ask}}","A":"40.66000000"}""";

        public static string Trade(long tradeId, string price, long tradeTime, string symbol = "BTCUSDT") =>
            $$"""{"e":"trade","E":{{tradeTime + 1}},"s":"{{symbol}}","t":{{tradeId}},"p":"{{price}}","q":"0.00100000","T":{{tradeTime}},"m":true,"M":true}""";
    }

    public static class Kraken
    {
        public static string Status() =>
            """{"channel":"status","type":"update","data":[{"version":"2.0.9","system":"online","api_version":"v2","connection_id":11762215468826385013}]}""";

        public static string SubscribeAck(string symbol = "BTC/USD") =>
            $$"""{"method":"subscribe","result":{"channel":"ticker","event_trigger":"trades","snapshot":true,"symbol":"{{symbol}}"},"success":true,"time_in":"2024-11-22T08:19:28.464459Z","time_out":"2024-11-22T08:19:28.464512Z"}""";

        public static string SubscribeError(string error) =>
            $$"""{"error":"{{error}}","method":"subscribe","success":false,"time_in":"2024-11-22T08:19:28.464459Z","time_out":"2024-11-22T08:19:28.464512Z"}""";

        public static string Heartbeat() => """{"channel":"heartbeat"}""";

        /// <summary>Kraken v2 sends prices as JSON numbers; <paramref name="last"/> is written verbatim as a number token.</summary>
        public static string Ticker(string last, string type = "update", string symbol = "BTC/USD") =>
            $$"""{"channel":"ticker","type":"{{type}}","data":[{"symbol":"{{symbol}}","bid":{{last}},"bid_qty":0.5,"ask":{{last}},"ask_qty":1.2,"last":{{last}},"volume":1843.2,"vwap":63890.1,"low":62980.5,"high":64313.8,"change":512.3,"change_pct":0.81,"timestamp":"2024-11-22T08:19:29.061769Z"}]}""";
    }

    public static class Bitstamp
    {
        public static string SubscriptionSucceeded(string channel = "live_trades_btcusd") =>
            $$$"""{"event":"bts:subscription_succeeded","channel":"{{{channel}}}","data":{}}""";

        public static string Trade(long id, string priceText, string channel = "live_trades_btcusd") =>
            $$"""{"data":{"id":{{id}},"timestamp":"1732263569","amount":0.0105,"amount_str":"0.01050000","price":{{priceText}},"price_str":"{{priceText}}","type":0,"microtimestamp":"1732263569061769","buy_order_id":1800000000000001,"sell_order_id":1800000000000002},"channel":"{{channel}}","event":"trade"}""";

        public static string HeartbeatAck() => """{"event":"bts:heartbeat","channel":"","data":{"status":"success"}}""";

        public static string RequestReconnect() => """{"event":"bts:request_reconnect","channel":"","data":""}""";
    }
}
