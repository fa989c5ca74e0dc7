using System.Text.RegularExpressions;
using Cordon.Operators;
using Microsoft.AspNetCore.Http;

namespace Cordon.Tests.Operators;

/// <summary>
/// Operators are the signed-in principal (App Service Authentication's X-MS-CLIENT-PRINCIPAL; locally the
/// host stands in for it): a reader views, an operator acts, nobody else gets in, and the timeline names
/// the person who acted, never a form field.
/// </summary>
public sealed class OperatorSignInTests
{
    const string Subject = "ravi.k@vendor.example";

    /// <summary>A client of the host with no principal, or with the given one.</summary>
    static HttpClient Client(TestHost host, string? name = null, string role = OperatorRoles.Operator, string? username = null)
    {
        var http = new HttpClient { BaseAddress = host.Host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        return name is null ? http : http.SignedInAs(name, role, username);
    }

    static Task<HttpResponseMessage> ActAsync(HttpClient http, string id, string action, string reason, string? decision = null) =>
        http.PostAsJsonAsync($"/api/incidents/{id}/actions", new { action, reason, decision });

    /// <summary>A moment later the incident still waits for confirmation, and no operator step is on its timeline.</summary>
    static async Task AssertNoOperatorActedAsync(TestHost host, string id)
    {
        await Task.Delay(300);
        IncidentDetail after = await host.IncidentAsync(id);
        Assert.Equal(Stages.AwaitingConfirmation, after.Stage);
        Assert.DoesNotContain(after.Timeline, t => t.Step.StartsWith("operator", StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void The_principal_is_read_as_the_platform_writes_it_name_sign_in_name_and_app_roles()
    {
        // Shaped like App Service Authentication's header for an Entra ID user with two app roles.
        string json = """
            {"auth_typ":"aad","name_typ":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
             "role_typ":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
             "claims":[{"typ":"aud","val":"7c1f0e9a"},{"typ":"name","val":"Olga Ops"},{"typ":"preferred_username","val":"olga.ops@contoso.example"},
                       {"typ":"http://schemas.microsoft.com/identity/claims/objectidentifier","val":"0d9c7b2e-1111-2222-3333-444455556666"},
                       {"typ":"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress","val":"Olga.Ops@Contoso-Mail.example"},
                       {"typ":"roles","val":"Cordon.Reader"},{"typ":"roles","val":"Cordon.Operator"}]}
            """;

        OperatorPrincipal who = OperatorPrincipal.Parse(Convert.ToBase64String(Encoding.UTF8.GetBytes(json)))!;
        // Her approval links may go to either address: a quorum gate counts her once under both.
        Assert.Equal(["olga.ops@contoso.example", "olga.ops@contoso-mail.example"], who.SignInAddresses);

        Assert.Equal("Olga Ops", who.Name);
        Assert.Equal("olga.ops@contoso.example", who.PreferredUsername);
        Assert.Equal("0d9c7b2e-1111-2222-3333-444455556666", who.ObjectId);
        Assert.True(who.CanAct);
        Assert.Equal("Olga Ops (olga.ops@contoso.example)", who.Display);
        Assert.Equal("olga.ops@contoso.example", who.Identity);

        OperatorPrincipal reader = OperatorPrincipal.Parse(OperatorPrincipal.Encode("Rita Reader", "rita@contoso.example", [OperatorRoles.Reader]))!;
        Assert.True(reader.CanView);
        Assert.False(reader.CanAct);
    }

    [Theory]
    [Trait("Category", "Unit")]
    [InlineData("")]
    [InlineData("not base64 at all!")]
    [InlineData("bm90IGpzb24=")] // "not json"
    [InlineData("eyJjbGFpbXMiOjF9")] // {"claims":1}
    [InlineData("eyJjbGFpbXMiOlt7InR5cCI6InJvbGVzIiwidmFsIjoiQ29yZG9uLk9wZXJhdG9yIn1dfQ==")] // a role but nobody named
    public void A_header_that_is_not_a_principal_names_nobody(string header) => Assert.Null(OperatorPrincipal.Parse(header));

    [Fact]
    public async Task Without_a_signed_in_principal_incidents_dashboard_evidence_and_actions_answer_401_and_change_nothing()
    {
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.SendSampleToConfirmationAsync();
        using HttpClient anonymous = Client(host);

        foreach (string path in new[] { "/api/incidents", $"/api/incidents/{id}", $"/api/incidents/{id}/evidence" })
        {
            HttpResponseMessage r = await anonymous.GetAsync(path);
            Assert.True(r.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {(int)r.StatusCode}");
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType!.MediaType);
            Assert.Contains("sign in", await r.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }

        foreach (string page in new[] { "/", "/api/dashboard", $"/api/dashboard/incidents/{id}" })
        {
            HttpResponseMessage r = await anonymous.GetAsync(page);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            string html = await r.Content.ReadAsStringAsync();
            Assert.Contains("/.auth/login/aad?post_login_redirect_uri=", html, StringComparison.Ordinal);
            Assert.DoesNotContain(Subject, html, StringComparison.Ordinal);
        }

        HttpResponseMessage act = await ActAsync(anonymous, id, "close", "no one signed in");
        Assert.Equal(HttpStatusCode.Unauthorized, act.StatusCode);
        // An "operator" field in the body names nobody: it is not a sign-in.
        HttpResponseMessage named = await anonymous.PostAsJsonAsync($"/api/incidents/{id}/actions", new { action = "close", @operator = "olga.ops", reason = "trust me" });
        Assert.Equal(HttpStatusCode.Unauthorized, named.StatusCode);

        await AssertNoOperatorActedAsync(host, id);
    }

    [Fact]
    public async Task A_reader_may_view_but_acting_is_403_and_a_principal_without_a_cordon_role_gets_nothing()
    {
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.SendSampleToConfirmationAsync();
        using HttpClient reader = Client(host, "Rita Reader", OperatorRoles.Reader, "rita.reader@cordon-customer.example");
        using HttpClient outsider = Client(host, "Otto Outsider", "Some.Other.Role", "otto@cordon-customer.example");

        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"/api/incidents/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/incidents")).StatusCode);
        HttpResponseMessage page = await reader.GetAsync($"/api/dashboard/incidents/{id}");
        string html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Signed in as <strong>Rita Reader (rita.reader@cordon-customer.example)</strong> · Cordon.Reader", html, StringComparison.Ordinal);
        Assert.DoesNotContain("data-action=", html, StringComparison.Ordinal); // no action forms for a reader
        Assert.Contains("acting on it needs the app role Cordon.Operator", html, StringComparison.Ordinal);

        HttpResponseMessage act = await ActAsync(reader, id, "close", "readers cannot close");
        Assert.Equal(HttpStatusCode.Forbidden, act.StatusCode);
        Assert.Contains("Rita Reader (rita.reader@cordon-customer.example) may view incidents but not act", await act.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await outsider.GetAsync($"/api/incidents/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await outsider.GetAsync("/api/dashboard")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ActAsync(outsider, id, "close", "not mine")).StatusCode);

        await AssertNoOperatorActedAsync(host, id);
    }

    [Fact]
    public async Task The_signed_in_operators_name_and_sign_in_name_go_on_the_timeline_whatever_the_body_says()
    {
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.SendSampleToConfirmationAsync();
        using HttpClient olga = Client(host, "Olga Ops", OperatorRoles.Operator, "olga.ops@cordon-customer.example");

        HttpResponseMessage r = await olga.PostAsJsonAsync($"/api/incidents/{id}/actions", new { action = "close", @operator = "mallory", reason = "duplicate of a handled case" });

        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        Assert.Equal("Olga Ops (olga.ops@cordon-customer.example)", (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("operator").GetString());
        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed);
        string all = string.Join(" | ", closed.Timeline.Select(t => $"{t.Step}: {t.Detail}"));
        Assert.Contains("Olga Ops (olga.ops@cordon-customer.example)", all, StringComparison.Ordinal);
        Assert.Contains("duplicate of a handled case", all, StringComparison.Ordinal);
        Assert.DoesNotContain("mallory", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_operator_cannot_complete_a_two_approver_vendor_offboarding_alone()
    {
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.SendSampleToConfirmationAsync();
        // Approval links stay login-free: approvers answer with no principal at all.
        using HttpClient approver = Client(host);
        string confirm = await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm");
        Assert.Equal(HttpStatusCode.OK, (await approver.PostAsync(confirm, Form(Decisions.Escalate))).StatusCode);
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingNotificationApproval && d.PendingApprovals.Count == 1);
        string notify = await host.ApprovalLinkAsync("lee.legal@cordon-customer.example", "notify");
        Assert.Equal(HttpStatusCode.OK, (await approver.PostAsync(notify, Form(Decisions.Approve))).StatusCode);
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingVendorApproval && d.PendingApprovals.Count == 1);
        using HttpClient olga = Client(host, "Olga Ops", OperatorRoles.Operator, "olga.ops@cordon-customer.example");

        Assert.Equal(HttpStatusCode.Accepted, (await ActAsync(olga, id, "decide", "vendor confirmed the breach", Decisions.Approve)).StatusCode);
        IncidentDetail oneVote = await host.WaitForAsync(id, d => d.Timeline.Any(t => t.Step == "operator vote"));
        Assert.Equal(Stages.AwaitingVendorApproval, oneVote.Stage);
        Vote vote = Assert.Single(Assert.Single(oneVote.PendingApprovals).Votes);
        Assert.Equal("operator:Olga Ops (olga.ops@cordon-customer.example)", vote.Approver);
        Assert.Contains(oneVote.Timeline, t => t.Step == "operator vote" && t.Detail.Contains("1 more distinct approver(s) needed", StringComparison.Ordinal));

        // The same person again — by a second action, or signed in under another display name — is still one vote.
        Assert.Equal(HttpStatusCode.Accepted, (await ActAsync(olga, id, "decide", "approving again", Decisions.Approve)).StatusCode);
        using HttpClient olgaAgain = Client(host, "O. Ops (laptop)", OperatorRoles.Operator, "OLGA.OPS@cordon-customer.example");
        Assert.Equal(HttpStatusCode.Accepted, (await ActAsync(olgaAgain, id, "decide", "and once more", Decisions.Approve)).StatusCode);
        IncidentDetail stillOne = await host.WaitForAsync(id, d => d.Timeline.Count(t => t.Step == "operator action refused") == 2);
        Assert.Equal(Stages.AwaitingVendorApproval, stillOne.Stage);
        Assert.Contains(stillOne.Timeline, t => t.Step == "operator action refused" && t.Detail.Contains("already decided at this gate", StringComparison.Ordinal));
        Assert.Single(Assert.Single(stillOne.PendingApprovals).Votes);
        Assert.True(host.Host.Directory.Find("agent00040.fab-pune-1@vendor.example")!.AccountEnabled, "one person revoked the site's accounts");

        // A second, distinct person completes the quorum.
        using HttpClient omar = Client(host, "Omar Ops", OperatorRoles.Operator, "omar.ops@cordon-customer.example");
        Assert.Equal(HttpStatusCode.Accepted, (await ActAsync(omar, id, "decide", "second pair of eyes", Decisions.Approve)).StatusCode);
        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed, seconds: 60);
        Assert.Equal(Outcomes.ConfirmedInsider, closed.Outcome);
        Assert.Contains(closed.Timeline, t => t.Step == "operator decision" && t.Detail.StartsWith("vendorOffboarding: Omar Ops (omar.ops@cordon-customer.example) decided approve", StringComparison.Ordinal));
        Assert.False(host.Host.Directory.Find("agent00040.fab-pune-1@vendor.example")!.AccountEnabled);
    }

    [Theory]
    [InlineData("decide")]
    [InlineData("close")]
    public async Task The_subject_signed_in_as_an_operator_cannot_act_on_their_own_incident(string act)
    {
        // Found by an attack: the subject, holding the operator role, closed their own open incident (202, Unreviewed).
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.SendSampleToConfirmationAsync();
        using HttpClient ravi = Client(host, "Ravi K", OperatorRoles.Operator, Subject);

        HttpResponseMessage answer = await ActAsync(ravi, id, act, "it was not me", act == "decide" ? Decisions.Reject : null);

        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
        Assert.Contains("subject never acts on their own incident", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        IncidentDetail d = await host.IncidentAsync(id);
        Assert.Equal(Stages.AwaitingConfirmation, d.Stage);
        Assert.DoesNotContain(d.Timeline, t => t.Step is "operator action refused" or "closed by operator");
        Assert.False(host.Host.Directory.Find(Subject)!.AccountEnabled);
    }

    [Fact]
    public async Task The_incident_refuses_its_subjects_close_even_when_it_gets_past_the_api()
    {
        // The incident judges every action it receives: one raised straight on the backend (or racing the API's check)
        // from the subject closes nothing. Another operator's close then still works.
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.SendSampleToConfirmationAsync();

        await host.Host.Client.RaiseEventAsync(id, IncidentEvents.OperatorAction,
            new OperatorAction(Cordon.Monitoring.OperatorActions.Close, "Ravi K", "nothing to see", OperatorId: "ravi-oid", SignInAddresses: [Subject.ToUpperInvariant()]));

        IncidentDetail refused = await host.WaitForAsync(id, d => d.Timeline.Any(t => t.Step == "operator action refused"));
        Assert.Equal(Stages.AwaitingConfirmation, refused.Stage);
        Assert.Contains(refused.Timeline, t => t.Step == "operator action refused" && t.Detail == "close by Ravi K: the subject of an incident can never act on it");
        using HttpClient olga = Client(host, "Olga Ops", OperatorRoles.Operator, "olga.ops@cordon-customer.example");
        Assert.Equal(HttpStatusCode.Accepted, (await ActAsync(olga, id, "close", "duplicate of another case")).StatusCode);
        await host.WaitForAsync(id, d => d.Stage == Stages.Closed);
    }

    [Fact]
    public async Task The_dashboard_links_to_its_next_page_and_a_search_finds_an_incident_past_the_first_page()
    {
        // Found by an attack: the filters applied to the page shown only, and the next page was only in a Link header.
        await using TestHost host = await TestHost.StartAsync();
        string first = await host.SendSampleToConfirmationAsync(); // ravi.k
        var (_, second, _) = await host.SendSampleAsync(edit: s =>
        {
            JsonNode n = JsonNode.Parse(s)!;
            n["alertId"] = "paging-2";
            n["subject"]!["userPrincipalName"] = "asha.m@vendor.example";
            return n.ToJsonString();
        });
        await host.WaitForAsync(second, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1);
        using HttpClient reader = Client(host, "Rita Reader", OperatorRoles.Reader);

        foreach ((string id, string who) in new[] { (first, "ravi.k"), (second, "asha.m") })
        {
            string? url = $"/api/dashboard?pageSize=1&q={who}";
            var pages = new List<string>();
            while (url is not null && pages.Count < 4)
            {
                string html = await reader.GetStringAsync(url);
                pages.Add(html);
                Match next = Regex.Match(html, "<a rel=\"next\" href=\"([^\"]+)\"");
                url = next.Success ? System.Net.WebUtility.HtmlDecode(next.Groups[1].Value) : null;
            }

            Assert.Contains(pages, p => p.Contains($"data-incident-id=\"{id}\"", StringComparison.Ordinal));
            Assert.All(pages.SkipLast(1), p => Assert.Contains($"q={who}", Regex.Match(p, "<a rel=\"next\" href=\"([^\"]+)\"").Groups[1].Value, StringComparison.Ordinal));
        }
    }

    [Theory]
    [Trait("Category", "Unit")]
    [InlineData("192.0.2.10", false)]
    [InlineData("2001:db8::7", false)]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    public async Task The_local_host_believes_a_principal_header_only_from_this_machine(string caller, bool believed)
    {
        string forged = OperatorPrincipal.Encode("Mallory", "mallory@attacker.example", [OperatorRoles.Operator]);
        var ctx = new DefaultHttpContext();
        ctx.Connection.RemoteIpAddress = IPAddress.Parse(caller);
        ctx.Request.Headers[OperatorPrincipal.Header] = forged;
        string? seen = null;

        await LocalSignIn.Principal(ctx, () => { seen = ctx.Request.Headers[OperatorPrincipal.Header].FirstOrDefault(); return Task.CompletedTask; });

        Assert.Equal(believed ? forged : null, seen);
    }

    [Theory]
    [Trait("Category", "Unit")]
    [InlineData("192.0.2.10", false)]
    [InlineData("127.0.0.1", true)]
    public async Task The_development_sign_in_cookie_becomes_the_principal_only_on_this_machine(string caller, bool believed)
    {
        string principal = OperatorPrincipal.Encode("Olga Ops", null, [OperatorRoles.Reader], "local");
        var ctx = new DefaultHttpContext();
        ctx.Connection.RemoteIpAddress = IPAddress.Parse(caller);
        ctx.Request.Headers.Cookie = $"{LocalSignIn.Cookie}={Uri.EscapeDataString(principal)}";
        string? seen = null;

        await LocalSignIn.Principal(ctx, () => { seen = ctx.Request.Headers[OperatorPrincipal.Header].FirstOrDefault(); return Task.CompletedTask; });

        Assert.Equal(believed ? principal : null, seen);
    }

    [Fact]
    public async Task The_development_sign_in_form_names_each_bad_field_and_refuses_a_post_from_another_site()
    {
        await using TestHost host = await TestHost.StartAsync();
        using HttpClient anonymous = Client(host);

        HttpResponseMessage bad = await anonymous.PostAsync("/.auth/login/aad", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = " ", ["role"] = "Cordon.Admin", ["post_login_redirect_uri"] = "https://attacker.example/",
        }));
        string page = await bad.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("name is required", page, StringComparison.Ordinal);
        Assert.Contains("role must be Cordon.Operator or Cordon.Reader", page, StringComparison.Ordinal);
        Assert.DoesNotContain("attacker.example", page, StringComparison.Ordinal);
        Assert.False(bad.Headers.Contains("Set-Cookie"));

        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/.auth/login/aad")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "Mallory", ["role"] = OperatorRoles.Operator }),
        };
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        HttpResponseMessage refused = await anonymous.SendAsync(crossSite);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode); // the local host refuses every cross-site post
        Assert.False(refused.Headers.Contains("Set-Cookie"));
    }

    [Theory]
    [Trait("Category", "Unit")]
    [InlineData("/api/dashboard?q=ravi.k&pageSize=20", "/api/dashboard?q=ravi.k&pageSize=20")]
    [InlineData("/", "/")]
    [InlineData("/\t/evil.example/phish", "/")] // browsers drop the tab: "//evil.example", another host
    [InlineData("/\n/evil.example", "/")]
    [InlineData("//evil.example", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("/é", "/")] // Kestrel will not send non-ASCII in a header: a 500
    [InlineData("/\u202E", "/")]
    [InlineData("/\v", "/")]
    [InlineData("/\u007f", "/")]
    [InlineData("/\r\nX-Injected: 1", "/")]
    public void A_development_sign_in_return_path_is_a_printable_path_on_this_host_else_home(string asked, string goesTo) =>
        Assert.Equal(goesTo, LocalSignIn.ReturnPath(asked));

    [Fact]
    public async Task Development_sign_in_and_sign_out_never_redirect_off_this_host_and_answer_a_bad_return_path_or_form_with_4xx_never_5xx()
    {
        await using TestHost host = await TestHost.StartAsync();
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = host.Host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        // The Location as a browser follows it: WHATWG URL parsing drops ASCII tab and newline.
        static string? Followed(HttpResponseMessage r) =>
            r.Headers.NonValidated.TryGetValues("Location", out var v) ? new string(v.ToString().Where(c => c is not ('\t' or '\n' or '\r')).ToArray()) : null;

        foreach (string back in new[] { "/%09/evil.example/phish", "/%C3%A9", "/%E2%80%AE", "/%0B", "/%7F", "/%0D%0AX-Injected:%201" })
        {
            HttpResponseMessage signOut = await anonymous.GetAsync("/.auth/logout?post_logout_redirect_uri=" + back);
            Assert.True((signOut.StatusCode, Followed(signOut)) == (HttpStatusCode.Redirect, "/"), $"sign-out to {back}: {(int)signOut.StatusCode} to {Followed(signOut)}");

            HttpResponseMessage signIn = await anonymous.PostAsync("/.auth/login/aad", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["name"] = "Olga Ops", ["role"] = OperatorRoles.Operator, ["post_login_redirect_uri"] = Uri.UnescapeDataString(back),
            }));
            Assert.True((signIn.StatusCode, Followed(signIn)) == (HttpStatusCode.Redirect, "/"), $"sign-in to {back}: {(int)signIn.StatusCode} to {Followed(signIn)}");
        }

        using var garbage = new StringContent("garbage", Encoding.UTF8);
        garbage.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");
        HttpResponseMessage badMultipart = await anonymous.PostAsync("/.auth/login/aad", garbage);
        using var many = new StringContent(string.Join("&", Enumerable.Range(0, 1100).Select(i => $"f{i}=1")), Encoding.UTF8, "application/x-www-form-urlencoded");
        HttpResponseMessage tooManyFields = await anonymous.PostAsync("/.auth/login/aad", many);

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (badMultipart.StatusCode, tooManyFields.StatusCode));
        Assert.Contains("the form cannot be read", await tooManyFields.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(badMultipart.Headers.Contains("Set-Cookie") || tooManyFields.Headers.Contains("Set-Cookie"));
    }

    static FormUrlEncodedContent Form(string decision) => new(new Dictionary<string, string> { ["decision"] = decision, ["comment"] = "" });
}
