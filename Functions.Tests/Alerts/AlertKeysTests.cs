namespace Cordon.Tests.Alerts;

[Trait("Category", "Unit")]
public sealed class AlertKeysTests
{
    static RiskAlert Alert(string source, string alertId) =>
        new("1.0", alertId, source, DateTimeOffset.UnixEpoch, new AlertSubject("ravi.k@vendor.example", "fabrikam-bpo", "fab-pune-1"), 90, Severities.Critical, [], [], 0, []);

    [Fact]
    public void A_slash_moved_between_source_and_id_makes_another_key()
    {
        Assert.NotEqual(AlertKeys.Of(Alert("dtex", "case/77")), AlertKeys.Of(Alert("dtex/case", "77")));
        Assert.NotEqual(AlertKeys.Of(Alert("a%2Fb", "c")), AlertKeys.Of(Alert("a/b", "c")));
    }

    [Fact]
    public void A_source_without_slash_or_percent_keeps_the_key_running_incidents_recorded()
    {
        Assert.Equal("purview-irm/purview-7f3a91", AlertKeys.Of(Alert("purview-irm", "purview-7f3a91")));
        Assert.Equal("dtex/case/77", AlertKeys.Of(Alert("dtex", "case/77")));
    }
}
