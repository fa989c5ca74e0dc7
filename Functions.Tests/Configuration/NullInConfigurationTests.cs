using Cordon.Configuration;
using Cordon.Notification;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cordon.Tests.Configuration;

/// <summary>
/// A JSON null where the world or the policy needs a value, a list or an object is refused like any invalid document,
/// naming where it is (found by an attack: it threw a NullReferenceException out of validation, the configuration
/// watcher died and stopped the host, and a restart failed naming nothing; "operators": null loaded as healthy and
/// every alert then failed at triage).
/// </summary>
public sealed class NullInConfigurationTests
{
    static readonly JsonDocumentOptions Comments = new() { CommentHandling = JsonCommentHandling.Skip };

    static string SampleWorld => File.ReadAllText(Repo.Path("samples/world.json"));

    static LiveConfiguration Live() => new(new FixedDocument(SampleWorld, "world.json"), new FixedDocument(null, "defaults"), TimeProvider.System);

    static string EditWorld(Action<JsonNode> edit)
    {
        JsonNode world = JsonNode.Parse(SampleWorld, null, Comments)!;
        edit(world);
        return world.ToJsonString();
    }

    static JsonNode Site(JsonNode world) => world["vendors"]![0]!["sites"]![0]!;

    /// <summary>Each edit puts a null somewhere the world needs a value, and the field the refusal must name.</summary>
    static readonly Dictionary<string, (Action<JsonNode> Edit, string Names)> WorldNulls = new()
    {
        ["operators"] = (w => w["operators"] = null, "operators"),
        ["clients"] = (w => w["clients"] = null, "clients"),
        ["vendors"] = (w => w["vendors"] = null, "vendors"),
        ["approvers"] = (w => w["approvers"] = null, "approvers"),
        ["client element"] = (w => w["clients"]!.AsArray().Add(null), "clients[2]"),
        ["client securityContacts"] = (w => w["clients"]![0]!["securityContacts"] = null, "securityContacts"),
        ["client jurisdictions"] = (w => w["clients"]![0]!["jurisdictions"] = null, "jurisdictions"),
        ["jurisdiction element"] = (w => w["clients"]![0]!["jurisdictions"]!.AsArray().Add(null), "clients[0].jurisdictions[2]"),
        ["client id"] = (w => w["clients"]![0]!["id"] = null, "id"),
        ["vendor contacts"] = (w => w["vendors"]![0]!["contacts"] = null, "contacts"),
        ["vendor serviceAccounts"] = (w => w["vendors"]![0]!["serviceAccounts"] = null, "serviceAccounts"),
        ["vendor sites"] = (w => w["vendors"]![0]!["sites"] = null, "sites"),
        ["site element"] = (w => w["vendors"]![0]!["sites"]!.AsArray().Add(null), "vendors[0].sites[3]"),
        ["site clientIds"] = (w => Site(w)["clientIds"] = null, "clientIds"),
        ["clientId element"] = (w => Site(w)["clientIds"]!.AsArray().Add(null), "vendors[0].sites[0].clientIds[2]"),
        ["site agents"] = (w => Site(w)["agents"] = null, "agents"),
        ["agent element"] = (w => Site(w)["agents"]!.AsArray().Add(null), "vendors[0].sites[0].agents[3]"),
        ["agent groups"] = (w => Site(w)["agents"]![0]!["groups"] = null, "groups"),
        ["agent role"] = (w => Site(w)["agents"]![0]!["role"] = null, "role"),
        ["operator element"] = (w => w["operators"]!.AsArray().Add(null), "operators[1]"),
    };

    public static TheoryData<string> WorldNullCases => [.. WorldNulls.Keys];

    [Theory]
    [Trait("Category", "Unit")]
    [MemberData(nameof(WorldNullCases))]
    public void A_world_with_a_null_where_a_value_is_needed_is_refused_naming_the_field_and_the_last_good_world_stays(string where)
    {
        LiveConfiguration live = Live();
        ConfigurationSnapshot before = live.Current;
        var (edit, names) = WorldNulls[where];

        ConfigurationProblem? problem = live.Apply(LiveConfiguration.WorldDocument, new DocumentRead(EditWorld(edit), "sha256:nulls"));

        Assert.NotNull(problem);
        Assert.Contains(problem.Errors, e => e.Contains(names, StringComparison.Ordinal) && e.Contains("null", StringComparison.Ordinal));
        Assert.Same(before.World, live.Current.World);
        Assert.Equal(before.WorldVersion, live.Current.WorldVersion);
        Assert.Equal("sha256:nulls", live.RefusedVersion(LiveConfiguration.WorldDocument));
    }

    [Theory]
    [Trait("Category", "Unit")]
    [InlineData("""{ "confirm": null }""", "confirm")]
    [InlineData("""{ "confirm": { "chain": null } }""", "confirm.chain")]
    [InlineData("""{ "confirm": { "chain": ["securityLead", null] } }""", "confirm.chain[1]")]
    [InlineData("""{ "notify": null }""", "notify")]
    [InlineData("""{ "retry": null }""", "retry")]
    [InlineData("""{ "clocks": null }""", "clocks")]
    [InlineData("""{ "clocks": { "GDPR": null } }""", "clocks.GDPR")]
    [InlineData("""{ "reminderLeadTimes": null }""", "reminderLeadTimes")]
    [InlineData("""{ "exposure": null }""", "exposure")]
    [InlineData("""{ "privilegedGroups": [null] }""", "privilegedGroups[0]")]
    [InlineData("""{ "monitoring": null }""", "monitoring")]
    [InlineData("""{ "monitoring": { "reviewerRoles": null } }""", "monitoring.reviewerRoles")]
    [InlineData("""{ "offboardingTrigger": null }""", "offboardingTrigger")]
    [InlineData("""{ "autoContainAtOrAbove": null }""", "autoContainAtOrAbove")]
    public void A_policy_with_a_null_where_a_value_is_needed_is_refused_naming_the_field_and_the_last_good_policy_stays(string json, string names)
    {
        LiveConfiguration live = Live();
        ConfigurationSnapshot before = live.Current;

        ConfigurationProblem? problem = live.Apply(LiveConfiguration.PolicyDocument, new DocumentRead(json, "sha256:nulls"));

        Assert.NotNull(problem);
        Assert.Contains(problem.Errors, e => e.Contains(names, StringComparison.Ordinal) && e.Contains("null", StringComparison.Ordinal));
        Assert.Same(before.Policy, live.Current.Policy);
        Assert.Equal(before.PolicyVersion, live.Current.PolicyVersion);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void Optional_fields_may_still_be_null()
    {
        LiveConfiguration live = Live();
        string world = EditWorld(w =>
        {
            w["clients"]![0]!["noticeWebhookUrl"] = null;
            w["clients"]![0]!["sessionKillUrl"] = null;
            Site(w)["directoryGroupId"] = null;
            Site(w)["timeZone"] = null;
            Site(w)["agents"]![0]!["employeeId"] = null;
        });

        Assert.Null(live.Apply(LiveConfiguration.WorldDocument, new DocumentRead(world, "sha256:optional")));
        Assert.Null(live.Current.World.Clients[0].NoticeWebhookUrl);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void A_world_with_a_null_at_start_stops_start_up_naming_the_document_and_the_field()
    {
        string world = EditWorld(w => Site(w)["clientIds"] = null);

        var ex = Assert.Throws<InvalidDataException>(() =>
            new LiveConfiguration(new FixedDocument(world, "/etc/cordon/world.json"), new FixedDocument(null, "defaults"), TimeProvider.System));

        Assert.Contains("/etc/cordon/world.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("vendors[0].sites[0].clientIds", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void A_policy_with_a_null_at_start_stops_start_up_naming_the_document_and_the_field()
    {
        var ex = Assert.Throws<PolicyException>(() =>
            new LiveConfiguration(new FixedDocument(SampleWorld, "world.json"), new FixedDocument("""{ "retry": null }""", "/etc/cordon/policy.json"), TimeProvider.System));

        Assert.Contains("/etc/cordon/policy.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("retry", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public async Task The_watcher_refuses_a_pushed_null_mails_the_operators_and_keeps_polling()
    {
        var policy = new ChangingDocument("policy.json", """{ "autoContainAtOrAbove": "critical" }""");
        var live = new LiveConfiguration(new FixedDocument(SampleWorld, "world.json"), policy, TimeProvider.System);
        var mail = new RecordingSender();
        var watcher = new ConfigurationWatcher(live, Options.Create(new ConfigurationOptions()), mail, NullLogger<ConfigurationWatcher>.Instance);

        policy.Content = """{ "confirm": null }""";
        await watcher.PollAsync(CancellationToken.None);

        Assert.Equal(Severities.Critical, live.Current.Policy.AutoContainAtOrAbove); // the last good policy stays
        ConfigurationProblem problem = Assert.Single(live.Problems);
        Assert.Contains("confirm", problem.Errors[0], StringComparison.Ordinal);
        EmailMessage sent = Assert.Single(mail.Sent);
        Assert.Contains("Configuration refused: policy", sent.Subject, StringComparison.Ordinal);

        policy.Content = """{ "autoContainAtOrAbove": "high" }""";
        await watcher.PollAsync(CancellationToken.None);
        Assert.Equal(Severities.High, live.Current.Policy.AutoContainAtOrAbove);
        Assert.Empty(live.Problems);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public async Task A_refusal_mail_SendGrid_throttled_goes_out_at_a_later_check_once()
    {
        // Found by an attack: the sender no longer waits out a 429 inside itself, and the watcher, outside any incident,
        // logged the failure and never mailed the refused version again.
        var policy = new ChangingDocument("policy.json", """{ "autoContainAtOrAbove": "critical" }""");
        var live = new LiveConfiguration(new FixedDocument(SampleWorld, "world.json"), policy, TimeProvider.System);
        var mail = new RecordingSender { ThrottleFirst = 2 };
        var watcher = new ConfigurationWatcher(live, Options.Create(new ConfigurationOptions()), mail, NullLogger<ConfigurationWatcher>.Instance);

        policy.Content = """{ "confirm": null }""";
        await watcher.PollAsync(CancellationToken.None);
        Assert.Empty(mail.Sent);
        await watcher.PollAsync(CancellationToken.None);
        await watcher.PollAsync(CancellationToken.None);
        await watcher.PollAsync(CancellationToken.None);

        EmailMessage sent = Assert.Single(mail.Sent);
        Assert.Contains("Configuration refused: policy", sent.Subject, StringComparison.Ordinal);
        Assert.Equal(3, mail.Tries);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public async Task The_watcher_survives_a_poll_that_fails_unexpectedly_and_picks_up_the_next_version()
    {
        // A read that times out throws an OperationCanceledException that is not the host stopping: it must not end the watcher.
        var policy = new ChangingDocument("policy.json", """{ "autoContainAtOrAbove": "critical" }""");
        var live = new LiveConfiguration(new FixedDocument(SampleWorld, "world.json"), policy, TimeProvider.System);
        var watcher = new ConfigurationWatcher(live, Options.Create(new ConfigurationOptions { PollInterval = TimeSpan.FromMilliseconds(20) }),
            new RecordingSender(), NullLogger<ConfigurationWatcher>.Instance);
        policy.Fail = new TaskCanceledException("The request timed out");
        await watcher.StartAsync(CancellationToken.None);
        try
        {
            await Eventually.Until(() => Task.FromResult(policy.Reads), reads => reads >= 3, TimeSpan.FromSeconds(10), "the watcher to poll through failures",
                reads => $"{reads} reads", TimeSpan.FromMilliseconds(20));
            Assert.False(watcher.ExecuteTask!.IsCompleted, "the watcher stopped after a failed poll");

            policy.Fail = null;
            policy.Content = """{ "autoContainAtOrAbove": "high" }""";
            await Eventually.Until(() => Task.FromResult(live.Current.Policy.AutoContainAtOrAbove), s => s == Severities.High, TimeSpan.FromSeconds(10),
                "the next version to be applied", s => s, TimeSpan.FromMilliseconds(20));
        }
        finally
        {
            await watcher.StopAsync(CancellationToken.None);
        }
    }

    sealed class ChangingDocument(string origin, string content) : ConfigurationDocument
    {
        volatile string text = content;
        int reads;

        public string Content { get => text; set => text = value; }

        public Exception? Fail { get; set; }

        public int Reads => Volatile.Read(ref reads);

        public override string Origin => origin;

        public override Task<DocumentRead?> ReadIfChangedAsync(string? knownVersion, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref reads);
            if (Fail is { } fail)
            {
                throw fail;
            }

            string version = Hash(text);
            return Task.FromResult(knownVersion == version ? null : new DocumentRead(text, version));
        }
    }

    sealed class RecordingSender : IEmailSender
    {
        readonly List<EmailMessage> sent = [];

        /// <summary>Sends SendGrid answers with a throttle before it takes one.</summary>
        public int ThrottleFirst { get; set; }

        public int Tries { get; private set; }

        public IReadOnlyList<EmailMessage> Sent
        {
            get
            {
                lock (sent)
                {
                    return [.. sent];
                }
            }
        }

        public Task<string> SendAsync(EmailMessage message, CancellationToken cancellationToken)
        {
            if (++Tries <= ThrottleFirst)
            {
                throw new MailThrottledException("SendGrid answered 429 TooManyRequests", null);
            }

            lock (sent)
            {
                sent.Add(message);
            }

            return Task.FromResult("sent-" + sent.Count);
        }
    }
}
