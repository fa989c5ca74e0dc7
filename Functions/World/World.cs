using System.Text.Json;

namespace Cordon.World;

/// <summary>
/// Who is who: clients, vendors with their sites and agents, and approvers by role.
/// Locally loaded from samples/world.json (--world); in Azure from the Cordon:World setting
/// (a JSON file path or the JSON itself).
/// </summary>
public sealed record WorldModel
{
    public IReadOnlyList<Client> Clients { get; init; } = [];

    public IReadOnlyList<Vendor> Vendors { get; init; } = [];

    public IReadOnlyDictionary<string, IReadOnlyList<string>> Approvers { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Operators told when an incident needs a human outside the gates.</summary>
    public IReadOnlyList<string> Operators { get; init; } = [];

    /// <summary>
    /// How a world document is read: the project's options, strictly (<see cref="ConfigurationJson.Strict"/>): a null
    /// where the model needs a value and a field it does not know (a mistyped "directoryGroup") are refused.
    /// </summary>
    public static readonly JsonSerializerOptions Json = ConfigurationJson.Strict(CordonJson.Options);

    public static WorldModel Parse(string json, string origin)
    {
        WorldModel world;
        try
        {
            world = JsonSerializer.Deserialize<WorldModel>(json, Json) ?? throw new InvalidDataException($"world {origin} is empty");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"world {origin} is not valid{ConfigurationJson.Describe(ex)}", ex);
        }

        // Before anything reads the lists: a null in one ("clients": [null]) is refused, never dereferenced.
        if (ConfigurationJson.NullElements(world) is { Count: > 0 } nulls)
        {
            throw new InvalidDataException($"world {origin} is not valid: {string.Join("; ", nulls)}");
        }

        world.ValidateClocksAndRoles(origin);
        return world;
    }

    public static WorldModel Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Reads a world and refuses it naming every bad field (<see cref="Validate"/>).</summary>
    public static WorldModel ParseValid(string json, string origin)
    {
        WorldModel world = Parse(json, origin);
        IReadOnlyList<string> errors = world.Validate();
        return errors.Count == 0 ? world : throw new InvalidDataException($"world {origin} is not valid: {string.Join("; ", errors)}");
    }

    /// <summary>Problems that would make the workflow ask nobody, or the wrong people: every one is named.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        static bool IsAddress(string? a) => !string.IsNullOrWhiteSpace(a) && a.IndexOf('@', StringComparison.Ordinal) > 0 && !a.Any(char.IsWhiteSpace);
        static bool IsUrl(string? u) => u is null || u.StartsWith('/') ||
            (Uri.TryCreate(u, UriKind.Absolute, out Uri? uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp));
        void Addresses(string path, IReadOnlyList<string>? list)
        {
            for (int i = 0; i < (list?.Count ?? 0); i++)
            {
                if (!IsAddress(list![i]))
                {
                    errors.Add($"{path}[{i}] '{list[i]}' is not an e-mail address");
                }
            }
        }

        var clientIds = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Clients.Count; i++)
        {
            Client c = Clients[i];
            string p = $"clients[{i}]";
            if (string.IsNullOrWhiteSpace(c.Id))
            {
                errors.Add($"{p}.id is required");
            }
            else if (!clientIds.Add(c.Id))
            {
                errors.Add($"{p}.id '{c.Id}' is listed twice");
            }

            Addresses($"{p}.securityContacts", c.SecurityContacts);
            if (c.ContractNoticeHours < 0)
            {
                errors.Add($"{p}.contractNoticeHours must not be negative");
            }

            if (c.SessionLifetimeMinutes <= 0)
            {
                errors.Add($"{p}.sessionLifetimeMinutes must be positive");
            }

            if (!IsUrl(c.NoticeWebhookUrl))
            {
                errors.Add($"{p}.noticeWebhookUrl '{c.NoticeWebhookUrl}' is not an http(s) URL");
            }

            if (!IsUrl(c.SessionKillUrl))
            {
                errors.Add($"{p}.sessionKillUrl '{c.SessionKillUrl}' is not an http(s) URL");
            }
        }

        var vendorIds = new HashSet<string>(StringComparer.Ordinal);
        var siteIds = new HashSet<string>(StringComparer.Ordinal);
        for (int v = 0; v < Vendors.Count; v++)
        {
            Vendor vendor = Vendors[v];
            string p = $"vendors[{v}]";
            if (string.IsNullOrWhiteSpace(vendor.Id))
            {
                errors.Add($"{p}.id is required");
            }
            else if (!vendorIds.Add(vendor.Id))
            {
                errors.Add($"{p}.id '{vendor.Id}' is listed twice");
            }

            Addresses($"{p}.contacts", vendor.Contacts);
            for (int s = 0; s < vendor.Sites.Count; s++)
            {
                Site site = vendor.Sites[s];
                string sp = $"{p}.sites[{s}]";
                if (string.IsNullOrWhiteSpace(site.Id))
                {
                    errors.Add($"{sp}.id is required");
                }
                else if (!siteIds.Add(site.Id))
                {
                    errors.Add($"{sp}.id '{site.Id}' is listed twice");
                }

                foreach (string id in site.ClientIds.Where(id => !clientIds.Contains(id)))
                {
                    errors.Add($"{sp}.clientIds names '{id}', which is not a client");
                }

                if (site.DirectoryGroupId is { } group && !Guid.TryParseExact(group, "D", out _))
                {
                    errors.Add($"{sp}.directoryGroupId '{group}' is not a GUID: name the Entra group by its object id (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
                }

                if (site.GeneratedAgents < 0)
                {
                    errors.Add($"{sp}.generatedAgents must not be negative");
                }

                for (int a = 0; a < site.Agents.Count; a++)
                {
                    if (!IsAddress(site.Agents[a].UserPrincipalName))
                    {
                        errors.Add($"{sp}.agents[{a}].userPrincipalName '{site.Agents[a].UserPrincipalName}' is not a user principal name");
                    }
                }
            }
        }

        foreach ((string role, IReadOnlyList<string> list) in Approvers)
        {
            if (list is null || list.Count == 0)
            {
                errors.Add($"approvers.{role} names nobody");
            }
            else
            {
                Addresses($"approvers.{role}", list);
            }
        }

        Addresses("operators", Operators);
        return errors;
    }

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
            .FirstOrDefault(a => Cordon.World.SubjectIdentity.Same(a.UserPrincipalName, userPrincipalName));

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

    /// <summary>The first approver role listing any of <paramref name="addresses"/> (compared as <see cref="SubjectIdentity.Same"/>); null when none does.</summary>
    public string? ApproverRoleOf(IReadOnlyCollection<string> addresses) =>
        Approvers.Where(kv => kv.Value.Any(listed => addresses.Any(a => SubjectIdentity.Same(listed, a)))).Select(kv => kv.Key).FirstOrDefault();
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

    /// <summary>
    /// Object id of the site's Entra ID group: its members, synced into the roster (<see cref="Roster.RosterSync"/>),
    /// are the site's accounts for offboarding and counts. None: the agents listed here.
    /// </summary>
    public string? DirectoryGroupId { get; init; }

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

/// <summary>The project-wide JSON options: web defaults, comments and trailing commas allowed (world, policy, alerts, API).</summary>
public static class CordonJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };
}
