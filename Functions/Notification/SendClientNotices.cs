using Cordon.Evidence;
using System.Globalization;
using System.Text.Json;
using Cordon.Incidents;
using Cordon.Monitoring;

namespace Cordon.Notification;

/// <summary>
/// Sends the approved notice to each affected client: e-mail to its security contacts and, where the
/// client has one, its signed webhook. Each delivery's proof is kept write-once with the evidence the
/// moment it succeeds, so a re-run (a later client's webhook failed, or the host crashed before the
/// step was recorded) sends only what is still missing. The one doubt left — the host stopped between an
/// e-mail's send and its proof — sends that e-mail again, marked as sent again (<see cref="MailAttempt"/>); a copy
/// SendGrid refused is sent again unmarked. Webhooks carry an idempotency key.
/// </summary>
public sealed class SendClientNotices(IEmailSender email, SignedWebhook webhook, IEvidenceStore evidence, TimeProvider time, CordonMetrics metrics, ILogger<SendClientNotices> logger)
    : TaskActivity<NoticeRequest, IReadOnlyList<NoticeProof>>
{
    [Function(nameof(SendClientNotices))]
    public Task<IReadOnlyList<NoticeProof>> Run([ActivityTrigger] NoticeRequest request) => RunAsync(ActivityContexts.For(nameof(SendClientNotices)), request);

    public override async Task<IReadOnlyList<NoticeProof>> RunAsync(TaskActivityContext context, NoticeRequest request)
    {
        using IDisposable? scope = logger.BeginIncident(request.IncidentId);
        var proofs = new List<NoticeProof>();
        foreach (AffectedClient client in request.Clients)
        {
            var due = request.Deadlines.Where(d => d.Client == client.Id).OrderBy(d => d.DueAt).ToList();
            if (client.SecurityContacts.Count > 0)
            {
                proofs.Add(await OnceAsync(request.IncidentId, client.Id, "email", () =>
                    MailAttempt.SendAsync(evidence, time, request.IncidentId, $"notice-attempt-{EvidenceNames.Part(client.Id)}-email", "cordon/SendClientNotices",
                        $"client notice to {client.Id} via email", async sentAgain =>
                        {
                            var (title, html, text) = ClientNoticeText.Render(request, client, sentAgain);
                            string id = await email.SendAsync(new EmailMessage(client.SecurityContacts, title, html, text, "client-notice",
                                new Dictionary<string, string> { ["incidentId"] = request.IncidentId, ["clientId"] = client.Id, ["kind"] = "client-notice" }), CancellationToken.None);
                            return new NoticeProof(client.Id, "email", id, time.GetUtcNow().UtcDateTime, sentAgain);
                        })));
            }

            if (!string.IsNullOrEmpty(client.NoticeWebhookUrl))
            {
                proofs.Add(await OnceAsync(request.IncidentId, client.Id, "webhook", () => PostNoticeAsync(request, client, due)));
            }
        }

        // The incident marks every deadline met at the last proof; those already past are missed.
        DateTime sent = proofs.Count == 0 ? time.GetUtcNow().UtcDateTime : proofs.Max(p => p.SentAt);
        foreach (Deadline missed in request.Deadlines.Where(d => sent > d.DueAt))
        {
            metrics.DeadlineMissed(missed.Name);
            logger.LogWarning("Deadline {Deadline} for client {ClientId} missed: due {DueAt:u}, notice sent {SentAt:u}", missed.Name, missed.Client, missed.DueAt, sent);
        }

        logger.LogInformation("Client notices sent for {IncidentId}: {Proofs} proofs", request.IncidentId, proofs.Count);
        return proofs;
    }

    /// <summary>Delivers through one channel unless its proof is already stored, then stores the proof.</summary>
    async Task<NoticeProof> OnceAsync(string incidentId, string clientId, string channel, Func<Task<NoticeProof>> deliver)
    {
        string name = $"notice-proof-{Cordon.Evidence.EvidenceNames.Part(clientId)}-{channel}.json";
        var note = new CustodyNote("cordon/SendClientNotices", $"client notice sent to {clientId} via {channel}");
        if (await evidence.FindAsync(incidentId, name, "application/json", note, CancellationToken.None) is { } stored)
        {
            return JsonSerializer.Deserialize<NoticeProof>(stored, CordonJson.Options)!;
        }

        NoticeProof proof = await deliver();
        await evidence.PutAsync(incidentId, name, JsonSerializer.SerializeToUtf8Bytes(proof, CordonJson.Options), "application/json", note, CancellationToken.None);
        return proof;
    }

    async Task<NoticeProof> PostNoticeAsync(NoticeRequest request, AffectedClient client, List<Deadline> due)
    {
        WebhookResult r = await webhook.PostAsync(client.NoticeWebhookUrl!,
            new { type = "cordon.incident-notice.v1", request.IncidentId, clientId = client.Id, request.SiteId, request.Severity, request.AffectedRecords, request.ConfirmedAt, deadlines = due },
            $"{request.IncidentId}:notice:{client.Id}", CancellationToken.None);
        if (!r.Delivered)
        {
            throw new InvalidOperationException($"notice webhook of client {client.Id} failed: {r.Detail}");
        }

        return new NoticeProof(client.Id, "webhook", $"{request.IncidentId}:notice:{client.Id}", r.At);
    }
}
