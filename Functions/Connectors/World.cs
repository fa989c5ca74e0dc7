using System.Text.Json;

namespace Cordon.Connectors;

/// <summary>
/// Who is who: clients, vendors with their sites and agents, and approvers by role.
/// Locally loaded from samples/world.json (--world); in Azure from the Cordon:World setting
/// (a JSON file path or the JSON itself).
/// </summary>
public sealed record World
{
    public IReadOnlyList<Client> Clients { get; init; } = [];

    public IReadOnlyList<Vendor> Vendors { get; init; } = [];

    public IReadOnlyDictionary<string, IReadOnlyList<string>> Approvers { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Operators told when an incident needs a human outside the gates.</summary>
    public IReadOnlyList<string> Operators { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static World Parse(string json, string origin)
    {
        try
        {
            World world = JsonSerializer.Deserialize<World>(json, Json) ?? throw new InvalidDataException($"world {origin} is empty");
            world.ValidateClocksAndRoles(origin);
            return world;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"world {origin} is not valid JSON: {ex.Message}", ex);
        }
    }

    public static World Load(string path) => Parse(File.ReadAllText(path), path);

    public Client? FindClient(string id) => Clients.FirstOrDefault(c => c.Id == id);

    public (Vendor Vendor, Site Site)? FindSite(string siteId)
    {
        foreach (Vendor v in Vendors)
        {
            foreach (Site s in v.Sites)
            {
                if (s.Id == siteId)
                {
                    return (v, s);
                }
            }
        }

        return null;
    }

    public Agent? FindAgent(string userPrincipalName) =>
        Vendors.SelectMany(v => v.Sites).SelectMany(s => s.Agents)
            .FirstOrDefault(a => Cordon.Alerts.SubjectIdentity.Same(a.UserPrincipalName, userPrincipalName));

    /// <summary>A site's time zone must be a known IANA zone and an agent's role one of <see cref="AgentRoles.All"/>.</summary>
    void ValidateClocksAndRoles(string origin)
    {
        var errors = new List<string>();
        foreach (Site s in Vendors.SelectMany(v => v.Sites))
        {
            if (s.TimeZone is { } zone && !Site.TryFindZone(zone, out _))
            {
                errors.Add($"site {s.Id}: timeZone \"{zone}\" is not a known IANA time zone (e.g. Asia/Kolkata)");
            }

            foreach (Agent a in s.Agents.Where(a => !AgentRoles.All.Contains(a.Role)))
            {
                errors.Add($"agent {a.UserPrincipalName}: role \"{a.Role}\" is not one of {string.Join(", ", AgentRoles.All)}");
            }
        }

        if (errors.Count > 0)
        {
            throw new InvalidDataException($"world {origin}: {string.Join("; ", errors)}");
        }
    }

    public IReadOnlyList<string> ApproversFor(string role) =>
        Approvers.TryGetValue(role, out var list) ? list : [];
}

public sealed record Client
{
    public required string Id { get; init; }

    public string Name { get; init; } = "";

    public IReadOnlyList<string> SecurityContacts { get; init; } = [];

    public IReadOnlyList<string> Jurisdictions { get; init; } = [];

    /// <summary>The contract's own notice deadline, in hours from confirmation (0 = none).</summary>
    public double ContractNoticeHours { get; init; }

    /// <summary>Optional webhook that receives the signed incident notice.</summary>
    public string? NoticeWebhookUrl { get; init; }

    /// <summary>Optional session-kill endpoint of the client system the agents use.</summary>
    public string? SessionKillUrl { get; init; }

    /// <summary>How long a session in the client's system lives when it cannot be killed.</summary>
    public double SessionLifetimeMinutes { get; init; } = 480;
}

public sealed record Vendor
{
    public required string Id { get; init; }

    public string Name { get; init; } = "";

    public IReadOnlyList<string> Contacts { get; init; } = [];

    public IReadOnlyList<Site> Sites { get; init; } = [];

    /// <summary>The vendor's own service accounts (API credentials), revoked when a site is offboarded.</summary>
    public IReadOnlyList<string> ServiceAccounts { get; init; } = [];
}

public sealed record Site
{
    public required string Id { get; init; }

    public string Name { get; init; } = "";

    public IReadOnlyList<string> ClientIds { get; init; } = [];

    public IReadOnlyList<Agent> Agents { get; init; } = [];

    /// <summary>IANA time zone of the site (e.g. Asia/Kolkata): the monitor judges working hours in it. None: UTC.</summary>
    public string? TimeZone { get; init; }

    /// <summary>The site's zone (UTC when it declares none or an unknown one; the world refuses unknown zones on load).</summary>
    public TimeZoneInfo Zone => TimeZone is { } z && TryFindZone(z, out TimeZoneInfo? zone) ? zone : TimeZoneInfo.Utc;

    internal static bool TryFindZone(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TimeZoneInfo? zone)
    {
        // IANA ids only: a Windows id or an empty name is a configuration mistake, not a zone.
        zone = null;
        if (string.IsNullOrWhiteSpace(id) || !TimeZoneInfo.TryFindSystemTimeZoneById(id, out TimeZoneInfo? found) || !found.HasIanaId)
        {
            return false;
        }

        zone = found;
        return true;
    }

    /// <summary>Generated agents on top of the listed ones (large simulated sites for benchmarks).</summary>
    public int GeneratedAgents { get; init; }

    /// <summary>The listed agents and the generated ones, in a stable order.</summary>
    public IEnumerable<Agent> AllAgents()
    {
        foreach (Agent a in Agents)
        {
            yield return a;
        }

        for (int i = 1; i <= GeneratedAgents; i++)
        {
            yield return new Agent { UserPrincipalName = $"agent{i:D5}.{Id}@vendor.example", DisplayName = $"Agent {i}", Groups = ["support-agents"] };
        }
    }

    public int AgentCount => Agents.Count + GeneratedAgents;
}

public sealed record Agent
{
    public required string UserPrincipalName { get; init; }

    public string? EmployeeId { get; init; }

    public string DisplayName { get; init; } = "";

    public IReadOnlyList<string> Groups { get; init; } = [];

    public IReadOnlyList<string> Licences { get; init; } = [];

    public IReadOnlyList<string> AppRoles { get; init; } = [];

    /// <summary>What the agent does on the floor (<see cref="AgentRoles"/>): reviewers may open others' tickets.</summary>
    public string Role { get; init; } = AgentRoles.Agent;
}

/// <summary>Roles of agents on a support floor.</summary>
public static class AgentRoles
{
    public const string Agent = "agent";
    public const string TeamLead = "team-lead";
    public const string Qa = "qa";
    public const string Escalation = "escalation";
    public const string Other = "other";

    public static readonly IReadOnlyList<string> All = [Agent, TeamLead, Qa, Escalation, Other];
}
