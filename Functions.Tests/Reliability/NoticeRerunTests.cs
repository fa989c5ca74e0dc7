using System.Diagnostics.Metrics;
using Cordon.Evidence;
using Cordon.Local.Connectors;
using Cordon.Monitoring;
using Cordon.Notification;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cordon.Tests.Reliability;

/// <summary>
/// A client notice e-mail has no idempotency key: once the send and its proof come apart (storing the proof failed,
/// or the host stopped in between), a rerun cannot know whether the client got it. It is sent again, marked so, and
/// both attempts are in the evidence; once a proof is stored, never again. A copy SendGrid refused (or never reached)
/// cannot have been delivered: the next goes unmarked.
/// </summary>
[Trait("Category", "Unit")]
public sealed class NoticeRerunTests
{
    static readonly WorldModel SampleWorld = WorldModel.Load(Repo.Path("samples/world.json"));
    const string Incident = "inc-0123456789ab-1";

    [Fact]
    public async Task A_notice_whose_proof_was_not_stored_goes_again_marked_as_sent_again_and_never_a_third_time()
    {
        // Found by an attack: the client got two identical notices and the record named only the second.
        string dir = Directory.CreateTempSubdirectory("cordon-notice-rerun-").FullName;
        var folder = new FolderEvidenceStore(Path.Combine(dir, "evidence"), TimeProvider.System);
        var outbox = new Outbox(Path.Combine(dir, "outbox"), TimeProvider.System);
        var activity = new SendClientNotices(outbox, Webhook(), new FailFirstPut(folder, "notice-proof-"), TimeProvider.System, Metrics(), NullLogger<SendClientNotices>.Instance);
        NoticeRequest request = RequestFor("northwind-bank");

        await Assert.ThrowsAsync<IOException>(() => activity.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), request)); // sent, proof not stored
        NoticeProof again = Assert.Single(await activity.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), request)); // the step's retry
        NoticeProof third = Assert.Single(await activity.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), request)); // run once more

        var notices = outbox.List().Where(m => m.Category == "client-notice").OrderBy(m => m.Subject.Length).ToList();
        Assert.Equal(2, notices.Count);
        Assert.DoesNotContain("sent again", notices[0].Subject, StringComparison.Ordinal);
        Assert.Contains("(sent again)", notices[1].Subject, StringComparison.Ordinal);
        Assert.Contains("delivery of an earlier copy could not be confirmed", notices[1].Text, StringComparison.Ordinal);
        Assert.True(again.SentAgain);
        Assert.Equal(again, third); // answered from its proof
        var items = (await folder.ListAsync(Incident, default)).Select(i => i.Name).ToList();
        Assert.Contains("notice-attempt-northwind-bank-email.json", items);
        Assert.Contains("notice-proof-northwind-bank-email.json", items);
    }

    [Fact]
    public async Task A_notice_sent_and_proved_is_not_marked_and_a_rerun_sends_nothing()
    {
        string dir = Directory.CreateTempSubdirectory("cordon-notice-rerun-").FullName;
        var folder = new FolderEvidenceStore(Path.Combine(dir, "evidence"), TimeProvider.System);
        var outbox = new Outbox(Path.Combine(dir, "outbox"), TimeProvider.System);
        var activity = new SendClientNotices(outbox, Webhook(), folder, TimeProvider.System, Metrics(), NullLogger<SendClientNotices>.Instance);
        NoticeRequest request = RequestFor("northwind-bank");

        NoticeProof first = Assert.Single(await activity.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), request));
        NoticeProof rerun = Assert.Single(await activity.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), request));

        Assert.False(first.SentAgain);
        Assert.Equal(first, rerun);
        Assert.DoesNotContain("sent again", Assert.Single(outbox.List(), m => m.Category == "client-notice").Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vendor_notice_whose_proof_was_not_stored_goes_again_marked_and_never_a_third_time()
    {
        string dir = Directory.CreateTempSubdirectory("cordon-notice-rerun-").FullName;
        var folder = new FolderEvidenceStore(Path.Combine(dir, "evidence"), TimeProvider.System);
        var outbox = new Outbox(Path.Combine(dir, "outbox"), TimeProvider.System);
        var directory = new SimulatedDirectory(SampleWorld, null, TimeProvider.System);
        var activity = new Cordon.Offboarding.NotifyVendor(outbox, directory, new FailFirstPut(folder, "vendor-notice-proof"),
            Options.Create(new WorldOptions { World = SampleWorld }), TimeProvider.System);
        var notice = new Cordon.Offboarding.VendorNotice(Incident, "fabrikam-bpo", "Fabrikam BPO Services", "fab-pune-1", "Fabrikam Pune 1",
            ["vendor-management@fabrikam-bpo.example"], 43);

        await Assert.ThrowsAsync<IOException>(() => activity.RunAsync(ActivityContexts.For("NotifyVendor"), notice)); // sent, proof not stored
        string again = await activity.RunAsync(ActivityContexts.For("NotifyVendor"), notice);
        await activity.RunAsync(ActivityContexts.For("NotifyVendor"), notice);

        var notices = outbox.List().Where(m => m.Category == "vendor-notice").OrderBy(m => m.Subject.Length).ToList();
        Assert.Equal(2, notices.Count);
        Assert.Contains("(sent again)", notices[1].Subject, StringComparison.Ordinal);
        Assert.Contains("sent again", again, StringComparison.Ordinal);
        Assert.True((await folder.VerifyAsync(Incident, default)).Ok);
    }

    [Fact]
    public async Task A_notice_sendgrid_may_have_accepted_before_the_connection_dropped_is_not_resent_unmarked()
    {
        // Found by an attack: the SendGrid sender retried a send whose answer was lost, so the client got two identical notices.
        var handler = new AcceptThenDrop();
        var sendGrid = new Cordon.Adapters.SendGrid.SendGridEmailSender(new Factory(handler),
            Options.Create(new Cordon.Adapters.SendGrid.SendGridOptions { SendGridApiKey = "SG.test.key", From = "cordon@security.example" }),
            TimeProvider.System, NullLogger<Cordon.Adapters.SendGrid.SendGridEmailSender>.Instance);
        string dir = Directory.CreateTempSubdirectory("cordon-notice-rerun-").FullName;
        var folder = new FolderEvidenceStore(Path.Combine(dir, "evidence"), TimeProvider.System);
        var activity = new SendClientNotices(sendGrid, Webhook(), folder, TimeProvider.System, Metrics(), NullLogger<SendClientNotices>.Instance);

        await Assert.ThrowsAsync<InvalidOperationException>(() => activity.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), RequestFor("northwind-bank")));
        NoticeProof proof = Assert.Single(await activity.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), RequestFor("northwind-bank"))); // the step's retry

        Assert.Equal(2, handler.Subjects.Count);
        Assert.DoesNotContain("sent again", handler.Subjects[0], StringComparison.Ordinal);
        Assert.Contains("(sent again)", handler.Subjects[1], StringComparison.Ordinal);
        Assert.True(proof.SentAgain);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task A_client_notice_SendGrid_refused_goes_again_unmarked(HttpStatusCode refusal)
    {
        // SendGrid answered that it did not take the first copy: nobody got it, so "sent again" would mislead the client.
        await using RecordingServer sendGrid = await RecordingServer.StartNewAsync();
        sendGrid.Enqueue(refusal, body: """{"errors":[{"message":"not accepted"}]}""");
        sendGrid.Enqueue(HttpStatusCode.Accepted, messageId: "msg-accepted");
        string dir = Directory.CreateTempSubdirectory("cordon-notice-rerun-").FullName;
        var folder = new FolderEvidenceStore(Path.Combine(dir, "evidence"), TimeProvider.System);
        var activity = new SendClientNotices(SendGridAt(sendGrid.BaseUrl), Webhook(), folder, TimeProvider.System, Metrics(), NullLogger<SendClientNotices>.Instance);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => activity.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), RequestFor("northwind-bank")));
        NoticeProof proof = Assert.Single(await activity.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), RequestFor("northwind-bank"))); // the step's retry

        Assert.Equal(2, sendGrid.Requests.Count);
        Assert.All(sendGrid.Requests, r => Assert.DoesNotContain("sent again", r.Json.GetProperty("subject").GetString()!, StringComparison.Ordinal));
        Assert.DoesNotContain("could not be confirmed", sendGrid.Requests[1].Body, StringComparison.Ordinal);
        Assert.False(proof.SentAgain);
        Assert.Equal("msg-accepted", proof.MessageId);
        var items = (await folder.ListAsync(Incident, default)).Select(i => i.Name).ToList();
        Assert.Contains(items, n => n.StartsWith("notice-attempt-northwind-bank-email", StringComparison.Ordinal) && n.Contains("refused", StringComparison.Ordinal));
        Assert.Equal(2, items.Count(n => n.StartsWith("notice-attempt-northwind-bank-email", StringComparison.Ordinal) && !n.Contains("refused", StringComparison.Ordinal))); // both attempts kept
        Assert.True((await folder.VerifyAsync(Incident, default)).Ok);
    }

    [Fact]
    public async Task A_client_notice_that_never_reached_SendGrid_goes_again_unmarked()
    {
        // The connection was never made (refused): the request never left, so no copy can have been delivered.
        string closed;
        await using (RecordingServer gone = await RecordingServer.StartNewAsync())
        {
            closed = gone.BaseUrl;
        }

        await using RecordingServer sendGrid = await RecordingServer.StartNewAsync();
        string dir = Directory.CreateTempSubdirectory("cordon-notice-rerun-").FullName;
        var folder = new FolderEvidenceStore(Path.Combine(dir, "evidence"), TimeProvider.System);
        var unreachable = new SendClientNotices(SendGridAt(closed), Webhook(), folder, TimeProvider.System, Metrics(), NullLogger<SendClientNotices>.Instance);
        var reachable = new SendClientNotices(SendGridAt(sendGrid.BaseUrl), Webhook(), folder, TimeProvider.System, Metrics(), NullLogger<SendClientNotices>.Instance);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => unreachable.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), RequestFor("northwind-bank")));
        NoticeProof proof = Assert.Single(await reachable.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), RequestFor("northwind-bank"))); // the step's retry

        RecordedRequest sent = Assert.Single(sendGrid.Requests);
        Assert.DoesNotContain("sent again", sent.Json.GetProperty("subject").GetString()!, StringComparison.Ordinal);
        Assert.False(proof.SentAgain);
    }

    [Fact]
    public async Task A_vendor_notice_SendGrid_refused_goes_again_unmarked()
    {
        await using RecordingServer sendGrid = await RecordingServer.StartNewAsync();
        sendGrid.Enqueue(HttpStatusCode.BadRequest, body: """{"errors":[{"message":"not accepted"}]}""");
        string dir = Directory.CreateTempSubdirectory("cordon-notice-rerun-").FullName;
        var folder = new FolderEvidenceStore(Path.Combine(dir, "evidence"), TimeProvider.System);
        var directory = new SimulatedDirectory(SampleWorld, null, TimeProvider.System);
        var activity = new Cordon.Offboarding.NotifyVendor(SendGridAt(sendGrid.BaseUrl), directory, folder,
            Options.Create(new WorldOptions { World = SampleWorld }), TimeProvider.System);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => activity.RunAsync(ActivityContexts.For("NotifyVendor"), VendorNotice()));
        string messageId = await activity.RunAsync(ActivityContexts.For("NotifyVendor"), VendorNotice()); // the step's retry

        Assert.Equal(2, sendGrid.Requests.Count);
        Assert.All(sendGrid.Requests, r => Assert.DoesNotContain("sent again", r.Json.GetProperty("subject").GetString()!, StringComparison.Ordinal));
        Assert.DoesNotContain("sent again", messageId, StringComparison.Ordinal);
        Assert.True((await folder.VerifyAsync(Incident, default)).Ok);
    }

    [Fact]
    public async Task A_refusal_after_an_attempt_in_doubt_still_goes_marked_as_sent_again()
    {
        // First copy accepted but its proof not stored (in doubt), the second refused: the third is still sent again.
        await using RecordingServer sendGrid = await RecordingServer.StartNewAsync();
        sendGrid.Enqueue(HttpStatusCode.Accepted, messageId: "msg-1");
        sendGrid.Enqueue(HttpStatusCode.BadRequest, body: """{"errors":[{"message":"not accepted"}]}""");
        sendGrid.Enqueue(HttpStatusCode.Accepted, messageId: "msg-3");
        string dir = Directory.CreateTempSubdirectory("cordon-notice-rerun-").FullName;
        var folder = new FolderEvidenceStore(Path.Combine(dir, "evidence"), TimeProvider.System);
        var activity = new SendClientNotices(SendGridAt(sendGrid.BaseUrl), Webhook(), new FailFirstPut(folder, "notice-proof-"), TimeProvider.System, Metrics(), NullLogger<SendClientNotices>.Instance);

        await Assert.ThrowsAsync<IOException>(() => activity.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), RequestFor("northwind-bank")));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => activity.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), RequestFor("northwind-bank")));
        NoticeProof proof = Assert.Single(await activity.RunAsync(ActivityContexts.For(nameof(SendClientNotices)), RequestFor("northwind-bank")));

        var subjects = sendGrid.Requests.Select(r => r.Json.GetProperty("subject").GetString()!).ToList();
        Assert.Equal(3, subjects.Count);
        Assert.DoesNotContain("sent again", subjects[0], StringComparison.Ordinal);
        Assert.Contains("(sent again)", subjects[1], StringComparison.Ordinal);
        Assert.Contains("(sent again)", subjects[2], StringComparison.Ordinal);
        Assert.True(proof.SentAgain);
        Assert.Equal("msg-3", proof.MessageId);
    }

    static Cordon.Offboarding.VendorNotice VendorNotice() => new(Incident, "fabrikam-bpo", "Fabrikam BPO Services", "fab-pune-1", "Fabrikam Pune 1",
        ["vendor-management@fabrikam-bpo.example"], 43);

    /// <summary>The real SendGrid sender pointed at <paramref name="host"/> (it sends each request once).</summary>
    static Cordon.Adapters.SendGrid.SendGridEmailSender SendGridAt(string host) => new(
        new ServiceCollection().AddHttpClient().BuildServiceProvider().GetRequiredService<IHttpClientFactory>(),
        Options.Create(new Cordon.Adapters.SendGrid.SendGridOptions { SendGridApiKey = "SG.test.key", From = "cordon@security.example", Host = host }),
        TimeProvider.System, NullLogger<Cordon.Adapters.SendGrid.SendGridEmailSender>.Instance);

    /// <summary>SendGrid took the mail, then the connection dropped before its 202 arrived.</summary>
    sealed class AcceptThenDrop : HttpMessageHandler
    {
        public readonly List<string> Subjects = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string body = await request.Content!.ReadAsStringAsync(cancellationToken);
            Subjects.Add(JsonDocument.Parse(body).RootElement.GetProperty("subject").GetString()!);
            if (Subjects.Count == 1)
            {
                throw new HttpRequestException("connection reset by peer after SendGrid accepted the request");
            }

            var ok = new HttpResponseMessage(HttpStatusCode.Accepted);
            ok.Headers.Add("X-Message-Id", $"msg-{Subjects.Count}");
            return ok;
        }
    }

    sealed class Factory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }

    static NoticeRequest RequestFor(string clientId)
    {
        var c = SampleWorld.Clients.First(x => x.Id == clientId);
        var client = new AffectedClient(c.Id, c.Name, c.SecurityContacts, c.Jurisdictions, c.ContractNoticeHours, null, null, c.SessionLifetimeMinutes);
        return new NoticeRequest(Incident, "ravi.k@vendor.example", "fabrikam-bpo", "fab-pune-1", [client], 1200, "critical", DateTime.UtcNow,
            [new Deadline("GDPR", client.Id, DateTime.UtcNow.AddHours(72), null, ClockStart.Confirmed)]);
    }

    static CordonMetrics Metrics() => new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    static SignedWebhook Webhook()
    {
        var sp = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        return new SignedWebhook(sp.GetRequiredService<IHttpClientFactory>(), Options.Create(new WebhookOptions { SigningKey = Convert.ToBase64String(new byte[32]) }), TimeProvider.System);
    }
}
