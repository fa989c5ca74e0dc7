namespace Cordon.Tests.Incidents;

public sealed class StatusBudgetTests
{
    [Fact]
    [Trait("Category", "Unit")]
    public void The_estimate_is_never_below_what_the_engine_writes_even_for_text_that_json_escapes()
    {
        string hostile = string.Concat(Enumerable.Repeat("é\"<>&\\\u0001ü", 15));
        var status = new IncidentStatus
        {
            Subject = hostile,
            AlertIds = Enumerable.Range(0, 20).Select(i => $"{hostile}/{i}").ToList(),
            AlertDigests = Enumerable.Range(0, 256).Select(i => AlertDigest.Of(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList(),
            Alerts = Enumerable.Range(0, 10).Select(i => new AlertSummary(hostile, hostile, DateTimeOffset.UnixEpoch, "critical", 99.5, long.MaxValue, [hostile, "screen-capture ×36"])).ToList(),
            Timeline = Enumerable.Range(0, 40).Select(i => new TimelineEntry(DateTime.UnixEpoch, "alert merged", hostile)).ToList(),
            WaitingSteps = [new StepFailure("RevokeSiteBatch 1", hostile, DateTime.UnixEpoch)],
            WaitingForOperator = new StepFailure("RevokeSiteBatch 1", hostile, DateTime.UnixEpoch),
        };

        string json = Microsoft.DurableTask.Converters.JsonDataConverter.Default.Serialize(status)!;

        Assert.True(StatusBudget.Estimate(status) >= System.Text.Encoding.UTF8.GetByteCount(json),
            $"estimate {StatusBudget.Estimate(status)} < {System.Text.Encoding.UTF8.GetByteCount(json)} bytes written");
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void Alert_digests_are_short_stable_and_distinct()
    {
        var digests = Enumerable.Range(0, 10_000).Select(i => AlertDigest.Of($"sentinel/alert-{i}")).ToList();

        Assert.All(digests, d => Assert.Equal(12, d.Length));
        Assert.Equal(digests.Count, digests.Distinct().Count());
        Assert.Equal(AlertDigest.Of("purview-irm/purview-7f3a91"), AlertDigest.Of("purview-irm/purview-7f3a91"));
    }
}
