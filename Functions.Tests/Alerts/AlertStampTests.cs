namespace Cordon.Tests.Alerts;

[Trait("Category", "Unit")]
public sealed class AlertStampTests
{
    static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_sample_is_detected_now_and_its_indicators_keep_their_distance_to_detection()
    {
        byte[] sample = File.ReadAllBytes(Repo.Path("samples/alerts/critical-bribery.json")); // detected 09:12, first indicator observed 08:40

        JsonNode fresh = JsonNode.Parse(AlertStamp.Fresh(sample, Now))!;

        Assert.Equal("2026-11-30T12:00:00Z", (string?)fresh["detectedAt"]);
        Assert.Equal("2026-11-30T11:28:00Z", (string?)fresh["indicators"]![0]!["observedAt"]);
        Assert.Null(fresh["indicators"]![1]!["observedAt"]);
        Assert.Equal("purview-7f3a91", (string?)fresh["alertId"]);
    }

    [Fact]
    public void A_cloud_event_gets_its_alert_data_stamped()
    {
        byte[] sample = File.ReadAllBytes(Repo.Path("samples/alerts/cloudevent-high.json"));

        JsonNode fresh = JsonNode.Parse(AlertStamp.Fresh(sample, Now))!;

        Assert.Equal("2026-11-30T12:00:00Z", (string?)fresh["data"]!["detectedAt"]);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"detectedAt\": \"yesterday\"}")]
    [InlineData("[1,2]")]
    public void Anything_that_is_not_a_dated_alert_is_sent_unchanged_for_the_intake_to_judge(string body)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(body);

        Assert.Same(bytes, AlertStamp.Fresh(bytes, Now));
    }

    [Theory]
    [InlineData("--message-visibility-seconds", "abc")]
    [InlineData("--directory-latency-ms", "-5")]
    [InlineData("--follow-up-work-items", "0")]
    public void A_bad_option_value_is_named_with_the_option_and_the_value(string option, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => LocalSettings.Parse([option, value]));

        Assert.Contains(option, error.Message, StringComparison.Ordinal);
        Assert.Contains($"\"{value}\"", error.Message, StringComparison.Ordinal);
    }
}
