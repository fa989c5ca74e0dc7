using Cordon.Operators;

namespace Cordon.Tests;

/// <summary>
/// A real local host (Kestrel on a free loopback port, embedded Durable Task backend, local
/// connectors) in a fresh data directory, plus helpers to drive it over HTTP like a user would.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    public const string FastPolicy = """
        {
          "confirm": { "chain": ["securityLead", "deputy", "ciso"], "stepTimeout": "00:01:00" },
          "notify": { "chain": ["legal"], "stepTimeout": "00:01:00" },
          "vendorOffboarding": { "chain": ["vendorManagement", "ciso"], "stepTimeout": "00:01:00", "quorum": 2 },
          "retry": { "maxAttempts": 2, "firstRetry": "00:00:00.200", "backoffCoefficient": 1 }
        }
        """;

    /// <summary>
    /// One approver at each gate, two distinct vendor approvers, offboarding in batches of 20 with at most
    /// <paramref name="parallelism"/> at a time; <paramref name="quickRetries"/>: a failed step retries once, 200 ms later.
    /// </summary>
    public static string OffboardingPolicy(int parallelism, bool quickRetries = false)
    {
        string retry = quickRetries ? """ "retry": { "maxAttempts": 2, "firstRetry": "00:00:00.200", "backoffCoefficient": 1 }, """ : "";
        return $$"""
            {
              "confirm": { "chain": ["securityLead"], "stepTimeout": "00:01:00" },
              "notify": { "chain": ["legal"], "stepTimeout": "00:01:00" },
              "vendorOffboarding": { "chain": ["vendorManagement"], "stepTimeout": "00:01:00", "quorum": 2 },
              {{retry}}
              "offboardingBatchSize": 20,
              "offboardingParallelism": {{parallelism}}
            }
            """;
    }

    TestHost(LocalHost host, string dataDir)
    {
        Host = host;
        DataDir = dataDir;
        Http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) }.SignedInAs(OperatorName, OperatorRoles.Operator, OperatorUsername);
    }

    /// <summary>Who the tests' client is signed in as (the local host stands in for App Service Authentication).</summary>
    public const string OperatorName = "Olga Ops";

    public const string OperatorUsername = "olga.ops@cordon-customer.example";

    public LocalHost Host { get; }

    public string DataDir { get; }

    public HttpClient Http { get; }

    public static async Task<TestHost> StartAsync(string policyJson = FastPolicy, string? world = null, StoreKind store = StoreKind.Memory,
        string? storage = null, string? dataDir = null, Action<IServiceCollection>? configure = null, TimeSpan directoryLatency = default, string taskHub = "cordon")
    {
        dataDir ??= Directory.CreateTempSubdirectory("cordon-test-").FullName;
        string policyPath = Path.Combine(dataDir, "policy.json");
        await File.WriteAllTextAsync(policyPath, policyJson);
        var settings = new LocalSettings
        {
            Urls = "http://127.0.0.1:0",
            DataDir = dataDir,
            PolicyPath = policyPath,
            WorldPath = world ?? Repo.Path("samples/world.json"),
            Store = store,
            StorageConnectionString = storage ?? LocalSettings.AzuriteDevelopment,
            Quiet = true,
            DirectoryLatency = directoryLatency,
            TaskHub = taskHub,
        };
        return new TestHost(await LocalHost.StartAsync(settings, configure), dataDir);
    }

    /// <summary>A copy of the sample world, edited (e.g. a client's webhook pointed at a recording server); returns its path.</summary>
    public static string EditedWorld(Action<System.Text.Json.Nodes.JsonNode> edit)
    {
        var world = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Repo.Path("samples/world.json")), null,
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;
        edit(world);
        string path = Path.Combine(Directory.CreateTempSubdirectory("cordon-world-").FullName, "world.json");
        File.WriteAllText(path, world.ToJsonString());
        return path;
    }

    /// <summary>The sample world's client with this id, for <see cref="EditedWorld"/>.</summary>
    public static System.Text.Json.Nodes.JsonNode Client(System.Text.Json.Nodes.JsonNode world, string id) =>
        world["clients"]!.AsArray().Single(c => (string?)c!["id"] == id)!;

    /// <summary>The sample world's site with this id, for <see cref="EditedWorld"/>.</summary>
    public static System.Text.Json.Nodes.JsonNode Site(System.Text.Json.Nodes.JsonNode world, string id) =>
        world["vendors"]!.AsArray().SelectMany(v => v!["sites"]!.AsArray()).Single(s => (string?)s!["id"] == id)!;

    public async Task<(int Status, string IncidentId, string Outcome)> SendAsync(string alertJson)
    {
        using var content = new StringContent(alertJson, System.Text.Encoding.UTF8, "application/json");
        HttpResponseMessage response = await Http.PostAsync("/api/alerts", content);
        if (!response.IsSuccessStatusCode)
        {
            return ((int)response.StatusCode, "", await response.Content.ReadAsStringAsync());
        }

        JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return ((int)response.StatusCode, body.GetProperty("incidentId").GetString()!, body.GetProperty("outcome").GetString()!);
    }

    public Task<(int Status, string IncidentId, string Outcome)> SendSampleAsync(string file = "critical-bribery.json", Func<string, string>? edit = null) =>
        SendAsync((edit ?? (s => s))(File.ReadAllText(Repo.Path("samples/alerts/" + file))));

    /// <summary>Sends the sample alert and waits until its incident asks for confirmation; returns the incident id.</summary>
    public async Task<string> SendSampleToConfirmationAsync()
    {
        var (_, id, _) = await SendSampleAsync();
        await WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1);
        return id;
    }

    public async Task<IncidentDetail> IncidentAsync(string id) =>
        (await Http.GetFromJsonAsync<IncidentDetail>($"/api/incidents/{id}", new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;

    /// <summary>Polls the incident API until the condition holds (the engine is asynchronous).</summary>
    public Task<IncidentDetail> WaitForAsync(string id, Func<IncidentDetail, bool> condition, int seconds = 30) =>
        Eventually.Until(() => IncidentAsync(id), condition, TimeSpan.FromSeconds(seconds), $"incident {id}",
            d => $"{d.Stage}/{d.Outcome}; timeline: " + string.Join(" | ", d.Timeline.Select(t => $"{t.Step}: {t.Detail}")));

    /// <summary>Waits for a mail in the outbox (mails follow the status update that announces them).</summary>
    public Task<Cordon.Local.Connectors.OutboxMail> MailAsync(Func<Cordon.Local.Connectors.OutboxMail, bool> match, int seconds = 20) =>
        Eventually.Found(() => Host.Outbox.List().FirstOrDefault(match), TimeSpan.FromSeconds(seconds), "a matching mail in the outbox",
            () => string.Join(", ", Host.Outbox.List().Select(m => $"{m.Category} to {string.Join("/", m.To)}")));

    /// <summary>The approval link mailed to <paramref name="approver"/> for a gate, newest first.</summary>
    public Task<string> ApprovalLinkAsync(string approver, string gate, int seconds = 20) =>
        Eventually.Found(async () => ApprovalMails.LinkFor((await Http.GetFromJsonAsync<List<JsonElement>>("/api/outbox"))!, gate, approver),
            TimeSpan.FromSeconds(seconds), $"a {gate} approval mail to {approver}");

    public async Task<(int Status, string Page)> DecideAsync(string link, string decision, string? comment = null)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = decision, ["comment"] = comment ?? "" });
        HttpResponseMessage response = await Http.PostAsync(link, form);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// The security lead decides at the confirmation gate (approve: a confirmed insider; escalate: the vendor's site
    /// is to be offboarded too), then legal approves the client notice.
    /// </summary>
    public async Task ConfirmAndApproveNoticeAsync(string id, string confirmDecision = Decisions.Approve)
    {
        await WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1);
        await DecideAsync(await ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), confirmDecision);
        await WaitForAsync(id, d => d.Stage == Stages.AwaitingNotificationApproval && d.PendingApprovals.Count == 1);
        await DecideAsync(await ApprovalLinkAsync("lee.legal@cordon-customer.example", "notify"), Decisions.Approve);
    }

    /// <summary>
    /// Escalated at confirmation, the notice approved, and the first vendor approver (val) approves the site's
    /// offboarding; the second, distinct vote is the caller's.
    /// </summary>
    public async Task EscalateToSecondVendorVoteAsync(string id)
    {
        await ConfirmAndApproveNoticeAsync(id, Decisions.Escalate);
        await WaitForAsync(id, d => d.Stage == Stages.AwaitingVendorApproval && d.PendingApprovals.Count == 1);
        await DecideAsync(await ApprovalLinkAsync("val.vendor@cordon-customer.example", "vendorOffboarding"), Decisions.Approve);
    }

    /// <summary>The second, distinct vendor approver (vic) approves: the site's offboarding starts.</summary>
    public async Task CompleteVendorQuorumAsync() =>
        await DecideAsync(await ApprovalLinkAsync("vic.vendor@cordon-customer.example", "vendorOffboarding"), Decisions.Approve);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }
}
