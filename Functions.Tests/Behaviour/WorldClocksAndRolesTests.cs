using Cordon.World;

namespace Cordon.Tests.Behaviour;

[Trait("Category", "Unit")]
public sealed class WorldClocksAndRolesTests
{
    static string WorldWith(string site, string agent) =>
        $$"""{ "vendors": [ { "id": "v", "sites": [ { "id": "s1", {{site}} "agents": [ { "userPrincipalName": "a@v.example" {{agent}} } ] } ] } ] }""";

    [Fact]
    public void A_site_time_zone_and_an_agent_role_are_read_from_the_world()
    {
        WorldModel w = WorldModel.Parse(WorldWith("\"timeZone\": \"Asia/Kolkata\",", ", \"role\": \"qa\""), "test");

        Site site = w.Vendors[0].Sites[0];
        Assert.Equal(TimeSpan.FromHours(5.5), site.Zone.BaseUtcOffset);
        Assert.Equal(AgentRoles.Qa, site.Agents[0].Role);
        Assert.Equal(AgentRoles.Agent, WorldModel.Parse(WorldWith("", ""), "test").Vendors[0].Sites[0].Agents[0].Role);
        Assert.Equal(TimeZoneInfo.Utc, WorldModel.Parse(WorldWith("", ""), "test").Vendors[0].Sites[0].Zone);
    }

    [Theory]
    [InlineData("\"timeZone\": \"Mars/Olympus\",", "", "site s1: timeZone \"Mars/Olympus\" is not a known IANA time zone")]
    [InlineData("", ", \"role\": \"boss\"", "agent a@v.example: role \"boss\" is not one of agent, team-lead, qa, escalation, other")]
    public void An_unknown_zone_or_role_is_a_named_error(string site, string agent, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => WorldModel.Parse(WorldWith(site, agent), "test"));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
