using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Cordon.Tests.Reliability;

/// <summary>
/// Who may call what. In Azure the Functions host enforces keys (see FunctionsMetadataTests); locally
/// there is no key, so the host answers loopback callers only. Secrets come from configuration and
/// never show up in a page, an API answer, a mail or the evidence.
/// </summary>
public sealed partial class AccessTests
{
    const string CallerHeader = "X-Test-Remote-Ip";

    static readonly string[] Paths =
        ["POST /api/alerts", "GET /api/incidents", "POST /api/incidents/inc-000000000000-1/actions", "GET /", "GET /outbox", "GET /api/outbox",
         "GET /api/approvals/x.y", "POST /api/approvals/x.y", "GET /api/incidents/inc-000000000000-1/evidence"];

    [Theory]
    [InlineData("192.0.2.10")]
    [InlineData("10.1.2.3")]
    [InlineData("::ffff:192.0.2.10")]
    [InlineData("2001:db8::7")]
    public async Task The_local_host_refuses_every_endpoint_to_a_caller_that_is_not_on_this_machine(string caller)
    {
        await using TestHost host = await TestHost.StartAsync(configure: s => s.AddSingleton<IStartupFilter, CallerFromHeader>());

        foreach (string route in Paths)
        {
            HttpResponseMessage response = await SendAsync(host, route, caller);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{route} from {caller}: {(int)response.StatusCode}");
            Assert.Contains("loopback", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Empty((await host.Http.GetFromJsonAsync<List<IncidentRow>>("/api/incidents"))!);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public async Task The_local_host_answers_callers_on_this_machine(string caller)
    {
        await using TestHost host = await TestHost.StartAsync(configure: s => s.AddSingleton<IStartupFilter, CallerFromHeader>());

        HttpResponseMessage alert = await SendAsync(host, "POST /api/alerts", caller);
        HttpResponseMessage list = await SendAsync(host, "GET /api/incidents", caller);

        Assert.Equal(HttpStatusCode.Accepted, alert.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Theory]
    [InlineData("evil.example", 400)]
    [InlineData("evil.example:7071", 400)]
    [InlineData("127.0.0.1.nip.io", 400)]
    [InlineData("localhost:7071", 200)]
    [InlineData("127.0.0.1:5000", 200)]
    [InlineData("[::1]:7071", 200)]
    [InlineData("cordon.localhost", 200)]
    public async Task The_local_host_answers_loopback_host_names_only_so_a_rebound_name_cannot_read_the_outbox(string hostName, int expected)
    {
        await using TestHost host = await TestHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/outbox");
        request.Headers.Host = hostName;

        HttpResponseMessage response = await host.Http.SendAsync(request);

        Assert.Equal(expected, (int)response.StatusCode);
    }

    [Theory]
    [InlineData("https://evil.example", "cross-site", 403)]
    [InlineData("null", null, 403)]
    [InlineData("https://evil.example", null, 403)]
    [InlineData(null, null, 415)] // a browser that sends neither header still cannot send JSON without a preflight
    public async Task A_simple_cross_site_post_to_the_alert_api_contains_nobody(string? origin, string? fetchSite, int expected)
    {
        await using TestHost host = await TestHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/alerts")
        {
            Content = new StringContent(File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json")), System.Text.Encoding.UTF8, "text/plain"),
        };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        HttpResponseMessage response = await host.Http.SendAsync(request);

        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Empty((await host.Http.GetFromJsonAsync<List<IncidentRow>>("/api/incidents"))!);
        Assert.True(host.Host.Directory.Find("ravi.k@vendor.example")!.AccountEnabled);
    }

    [Fact]
    public async Task The_approval_page_still_posts_its_decision_from_its_own_origin_but_not_from_another()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1);
        string link = await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm");
        HttpResponseMessage Post(string origin, string site)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(link).PathAndQuery)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = "reject" }),
            };
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Sec-Fetch-Site", site);
            return host.Http.Send(request);
        }

        Assert.Equal(HttpStatusCode.Forbidden, Post("https://evil.example", "cross-site").StatusCode);
        Assert.Empty((await host.IncidentAsync(id)).PendingApprovals[0].Votes);
        Assert.Equal(HttpStatusCode.OK, Post(host.Host.BaseAddress.GetLeftPart(UriPartial.Authority), "same-origin").StatusCode);
        await host.WaitForAsync(id, d => d.Stage == Stages.Closed);
    }

    [Fact]
    public async Task No_page_api_answer_mail_or_evidence_file_contains_a_signing_key()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1);
        string link = await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm");
        string[] keys = new[] { "approval-signing.key", "webhook-signing.key" }.Select(f => File.ReadAllText(Path.Combine(host.DataDir, f)).Trim()).ToArray();

        foreach (string path in new[] { "/", "/outbox", "/api/outbox", "/api/incidents", $"/api/incidents/{id}", $"/api/incidents/{id}/evidence", $"/api/dashboard/incidents/{id}", link })
        {
            string body = await host.Http.GetStringAsync(path);
            Assert.All(keys, k => Assert.DoesNotContain(k, body, StringComparison.Ordinal));
        }

        foreach (string file in Directory.GetFiles(host.DataDir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".key", StringComparison.Ordinal)))
        {
            string text = await File.ReadAllTextAsync(file);
            Assert.All(keys, k => Assert.DoesNotContain(k, text, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Secrets_come_from_configuration_never_from_the_source()
    {
        var findings = new List<string>();
        foreach (string root in new[] { "Functions", "Functions.Local", "infra", "samples", "docs" })
        {
            foreach (string file in Directory.EnumerateFiles(Repo.Path(root), "*", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && Path.GetExtension(f) is ".cs" or ".bicep" or ".json" or ".md" or ".yaml" or ".bicepparam"))
            {
                string text = File.ReadAllText(file);
                findings.AddRange(SecretPattern().Matches(text).Select(m => $"{Path.GetRelativePath(Repo.Root, file)}: {m.Value[..Math.Min(m.Value.Length, 40)]}…"));
            }
        }

        Assert.Empty(findings);
    }

    // A SendGrid key, a storage/Service Bus key other than Azurite's published development key, a private key block,
    // or a signing/API key written as a literal value rather than read from configuration or Key Vault.
    [GeneratedRegex("""SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}|AccountKey=(?!Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==)[A-Za-z0-9+/=]{20,}|SharedAccessKey=[A-Za-z0-9+/=]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY-----|(SigningKey|SendGridApiKey|ApiKey)["']?\s*[:=]\s*["'](?!@Microsoft\.KeyVault)[A-Za-z0-9+/=_\-.]{16,}["']""")]
    private static partial Regex SecretPattern();

    static async Task<HttpResponseMessage> SendAsync(TestHost host, string route, string caller)
    {
        string[] parts = route.Split(' ');
        using var request = new HttpRequestMessage(new HttpMethod(parts[0]), parts[1]);
        request.Headers.Add(CallerHeader, caller);
        if (parts[0] == "POST")
        {
            request.Content = parts[1] == "/api/alerts"
                ? new StringContent(File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json")), System.Text.Encoding.UTF8, "application/json")
                : new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = "approve", ["action"] = "close" });
        }

        return await host.Http.SendAsync(request);
    }

    /// <summary>
    /// Tests bind 127.0.0.1 only, so a remote caller is simulated: the connection's address is taken from a
    /// header before any of the host's own middleware runs — as a reverse proxy's forwarded address would be.
    /// </summary>
    sealed class CallerFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext ctx, Func<Task> rest) =>
            {
                if (IPAddress.TryParse(ctx.Request.Headers[CallerHeader].ToString(), out IPAddress? ip))
                {
                    ctx.Connection.RemoteIpAddress = ip;
                }

                return rest();
            });
            next(app);
        };
    }
}
