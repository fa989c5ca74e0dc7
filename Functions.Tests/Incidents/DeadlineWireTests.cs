namespace Cordon.Tests.Incidents;

/// <summary>A deadline's clock start is typed in code and keeps its wire name in the API and in stored histories.</summary>
[Trait("Category", "Unit")]
public sealed class DeadlineWireTests
{
    static readonly DateTime Due = new(2026, 11, 30, 15, 0, 0, DateTimeKind.Utc);

    [Theory]
    [InlineData(ClockStart.Detected, "detected")]
    [InlineData(ClockStart.Confirmed, "confirmed")]
    public void A_deadline_s_clock_start_is_written_by_its_wire_name(ClockStart start, string wire)
    {
        var deadline = new Deadline("CERT-In", "contoso-pay", Due, null, start);

        Assert.Contains($"\"clockStart\":\"{wire}\"", JsonSerializer.Serialize(deadline, CordonJson.Options));
        Assert.Contains($"\"ClockStart\":\"{wire}\"", JsonSerializer.Serialize(deadline)); // the engine's default options (custom status, histories)
        Assert.Equal(wire, start.Name());
    }

    [Fact]
    public void A_deadline_stored_before_the_clock_start_was_typed_still_reads()
    {
        const string stored = """{"Name":"GDPR","Client":"northwind-bank","DueAt":"2026-11-30T15:00:00Z","MetAt":null,"ClockStart":"confirmed"}""";

        Deadline? d = JsonSerializer.Deserialize<Deadline>(stored);

        Assert.Equal(ClockStart.Confirmed, d!.ClockStart);
    }
}
