using Xunit;
using System.Text;
using System.Text.Json.Nodes;
using Cordon.Behaviour;

namespace Cordon.Tests.Behaviour;

[Trait("Category", "Unit")]
public sealed class AccessEventParserTests
{
    static JsonObject Valid() => new()
    {
        ["schemaVersion"] = "1.0",
        ["eventId"] = "evt-1",
        ["occurredAt"] = "2026-11-24T10:02:00Z",
        ["agent"] = new JsonObject { ["userPrincipalName"] = "asha.m@vendor.example", ["vendorId"] = "fabrikam-bpo", ["siteId"] = "fab-pune-1" },
        ["clientId"] = "northwind-bank",
        ["action"] = "view-record",
        ["customerId"] = "nw-cust-1",
        ["recordId"] = "nw-cust-1/profile",
    };

    static JsonObject With(Action<JsonObject> change)
    {
        JsonObject e = Valid();
        change(e);
        return e;
    }

    static BatchParseResult Parse(JsonNode node) => AccessEventParser.ParseBatch(Encoding.UTF8.GetBytes(node.ToJsonString()));

    public static TheoryData<string, Func<JsonNode>, string> Malformed() => new()
    {
        { "missing schemaVersion", () => With(e => e.Remove("schemaVersion")), "schemaVersion is required" },
        { "wrong schemaVersion", () => With(e => e["schemaVersion"] = "2.0"), "schemaVersion must be \"1.0\"" },
        { "missing eventId", () => With(e => e.Remove("eventId")), "eventId is required" },
        { "blank eventId", () => With(e => e["eventId"] = " "), "eventId must not be empty" },
        { "eventId too long", () => With(e => e["eventId"] = new string('x', 129)), "eventId must be at most 128 characters" },
        { "missing occurredAt", () => With(e => e.Remove("occurredAt")), "occurredAt is required" },
        { "occurredAt without zone", () => With(e => e["occurredAt"] = "2026-11-24T10:02:00"), "occurredAt must be an RFC 3339 timestamp" },
        { "occurredAt a number", () => With(e => e["occurredAt"] = 1732442520), "occurredAt must be a string" },
        { "missing agent", () => With(e => e.Remove("agent")), "agent is required" },
        { "agent a string", () => With(e => e["agent"] = "asha"), "agent must be an object" },
        { "missing userPrincipalName", () => With(e => e["agent"]!.AsObject().Remove("userPrincipalName")), "agent.userPrincipalName is required" },
        { "bad userPrincipalName", () => With(e => e["agent"]!["userPrincipalName"] = "asha"), "agent.userPrincipalName must look like user@domain" },
        { "missing vendorId", () => With(e => e["agent"]!.AsObject().Remove("vendorId")), "agent.vendorId is required" },
        { "missing siteId", () => With(e => e["agent"]!.AsObject().Remove("siteId")), "agent.siteId is required" },
        { "missing clientId", () => With(e => e.Remove("clientId")), "clientId is required" },
        { "missing action", () => With(e => e.Remove("action")), "action is required" },
        { "unknown action", () => With(e => e["action"] = "print"), "action \"print\" is not one of login, logout, search, view-record" },
        { "view without customer", () => With(e => e.Remove("customerId")), "customerId is required for action view-record" },
        { "ticket without ticketId", () => With(e => e["action"] = "ticket-assigned"), "ticketId is required for action ticket-assigned" },
        { "customerId a number", () => With(e => e["customerId"] = 42), "customerId must be a string" },
        { "count zero", () => With(e => e["count"] = 0), "count must be a whole number 1..1000000" },
        { "count text", () => With(e => e["count"] = "many"), "count must be a whole number 1..1000000" },
        { "event not an object", () => new JsonArray("view"), "event must be a JSON object" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_event_is_rejected_naming_the_field(string _, Func<JsonNode> make, string expected)
    {
        JsonNode node = make();
        BatchParseResult result = Parse(node is JsonArray ? node : new JsonArray(node));

        Assert.True(result.IsValid);
        Assert.Empty(result.Events);
        EventRejection rejection = Assert.Single(result.Rejected);
        Assert.Equal(0, rejection.Index);
        Assert.Contains(rejection.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void One_bad_event_is_reported_with_its_index_and_the_others_are_kept()
    {
        BatchParseResult result = Parse(new JsonArray(
            Valid(),
            With(e => { e.Remove("eventId"); e["agent"]!.AsObject().Remove("siteId"); }),
            With(e => e["eventId"] = "evt-2")));

        Assert.Equal(["evt-1", "evt-2"], result.Events.Select(e => e.EventId));
        EventRejection rejection = Assert.Single(result.Rejected);
        Assert.Equal(1, rejection.Index);
        Assert.Equal(["eventId is required", "agent.siteId is required"], rejection.Errors);
    }

    [Fact]
    public void Valid_event_is_read_with_every_field()
    {
        AccessEvent e = Assert.Single(Parse(new JsonArray(With(x => x["count"] = 3))).Events);

        Assert.Equal(new AgentRef("asha.m@vendor.example", "fabrikam-bpo", "fab-pune-1"), e.Agent);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 2, 0, TimeSpan.Zero), e.OccurredAt);
        Assert.Equal(("view-record", "nw-cust-1", "nw-cust-1/profile", 3), (e.Action, e.CustomerId, e.RecordId, e.Count));
    }

    [Fact]
    public void A_single_event_object_is_a_batch_of_one()
    {
        Assert.Single(Parse(Valid()).Events);
    }

    [Fact]
    public void More_than_5000_events_are_refused_as_a_whole()
    {
        var batch = new JsonArray();
        for (int i = 0; i <= AccessEventParser.MaxEvents; i++)
        {
            batch.Add(With(e => e["eventId"] = $"evt-{i}"));
        }

        BatchParseResult result = Parse(batch);

        Assert.False(result.IsValid);
        Assert.Empty(result.Events);
        Assert.Equal("batch has 5001 events; the limit is 5000 per request", Assert.Single(result.Errors));
    }

    [Fact]
    public void More_than_4_MB_is_refused_as_a_whole()
    {
        BatchParseResult result = AccessEventParser.ParseBatch(new byte[AccessEventParser.MaxBytes + 1]);

        Assert.False(result.IsValid);
        Assert.Contains("the limit is 4194304 bytes (4 MB)", Assert.Single(result.Errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "body is empty")]
    [InlineData("[{", "body is not valid JSON")]
    [InlineData("\"events\"", "body must be a JSON array of AccessEvent v1 objects")]
    public void Unreadable_batch_is_refused_as_a_whole(string body, string expected)
    {
        BatchParseResult result = AccessEventParser.ParseBatch(Encoding.UTF8.GetBytes(body));

        Assert.False(result.IsValid);
        Assert.StartsWith(expected, Assert.Single(result.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Values_repeated_across_a_batch_are_read_once_and_still_checked_for_every_event()
    {
        // The same agent and client in every event, one spelled with a JSON escape; a bad action and a bad name repeated.
        string batch = "[" + string.Join(",",
            With(e => e["eventId"] = "e0").ToJsonString(),
            With(e => e["eventId"] = "e1").ToJsonString(),
            With(e => e["eventId"] = "e2").ToJsonString().Replace("asha.m@", "\\u0061sha.m@", StringComparison.Ordinal),
            With(e => { e["eventId"] = "e3"; e["action"] = "fly"; }).ToJsonString(),
            With(e => { e["eventId"] = "e4"; e["action"] = "fly"; }).ToJsonString(),
            With(e => { e["eventId"] = "e5"; e["agent"]!["userPrincipalName"] = "not-a-upn"; }).ToJsonString(),
            With(e => { e["eventId"] = "e6"; e["agent"]!["userPrincipalName"] = "not-a-upn"; }).ToJsonString(),
            With(e => e["eventId"] = "e7").ToJsonString()) + "]";

        BatchParseResult r = AccessEventParser.ParseBatch(Encoding.UTF8.GetBytes(batch));

        Assert.Equal(["e0", "e1", "e2", "e7"], r.Events.Select(e => e.EventId));
        Assert.All(r.Events, e => Assert.Equal(("asha.m@vendor.example", "northwind-bank", "view-record"), (e.Agent.UserPrincipalName, e.ClientId, e.Action)));
        Assert.Equal([3, 4, 5, 6], r.Rejected.Select(x => x.Index));
        Assert.Contains(r.Rejected[0].Errors, m => m.StartsWith("action \"fly\" is not one of", StringComparison.Ordinal));
        Assert.Contains(r.Rejected[1].Errors, m => m.StartsWith("action \"fly\" is not one of", StringComparison.Ordinal));
        Assert.Equal(["agent.userPrincipalName must look like user@domain"], r.Rejected[2].Errors);
        Assert.Equal(["agent.userPrincipalName must look like user@domain"], r.Rejected[3].Errors);
    }

    [Theory]
    [InlineData("9999-12-31T23:59:59Z", "ahead of Cordon's clock")]
    [InlineData("0001-01-01T00:00:00Z", "is before 2000-01-01")]
    public void An_event_time_far_ahead_of_the_clock_or_before_2000_rejects_that_event_only(string occurredAt, string expected)
    {
        var now = new DateTimeOffset(2026, 11, 24, 11, 0, 0, TimeSpan.Zero);
        var batch = new JsonArray(Valid(), With(e => { e["eventId"] = "evt-2"; e["occurredAt"] = occurredAt; }));

        BatchParseResult r = AccessEventParser.ParseBatch(Encoding.UTF8.GetBytes(batch.ToJsonString()), now);

        Assert.Equal("evt-1", Assert.Single(r.Events).EventId);
        var rejected = Assert.Single(r.Rejected);
        Assert.Equal(1, rejected.Index);
        Assert.Contains(expected, Assert.Single(rejected.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_batch_is_refused_saying_so()
    {
        BatchParseResult r = AccessEventParser.ParseBatch("[]"u8.ToArray());

        Assert.False(r.IsValid);
        Assert.Equal("batch is empty: expected at least one AccessEvent v1 object", Assert.Single(r.Errors));
    }
}
