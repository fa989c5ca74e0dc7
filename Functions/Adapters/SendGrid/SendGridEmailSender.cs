using Cordon.Notification;
using System.Globalization;
using System.Net;
using SendGrid;
using SendGrid.Helpers.Mail;

namespace Cordon.Adapters.SendGrid;

/// <summary>
/// The e-mail port on SendGrid's v3 Mail Send API (SendGrid 9.x client).
/// <list type="bullet">
/// <item>One personalization per recipient, so nobody sees the other recipients; at most
/// <see cref="MaxRecipientsPerRequest"/> per request (SendGrid's limit), more are sent as further requests.</item>
/// <item>HTML and text bodies, the message's custom args (incidentId, gateId, kind, …) and categories
/// (the message's plus <c>cordon</c>).</item>
/// <item>Click, open, subscription and Google Analytics tracking off: approval links must reach the
/// approver unrewritten (docs/architecture.md, "Field facts"). Sandbox mode per <see cref="SendGridOptions.SandboxMode"/>.</item>
/// <item>Nothing here waits or sends a request again: the step's retry does, on a durable timer in the incident. A wait
/// inside the activity (up to a minute on a Retry-After, once) outlived the queue message's visibility, and a second copy
/// of the step could run beside it. 429 and 503 throw <see cref="MailThrottledException"/> with the Retry-After (or
/// X-RateLimit-Reset), at most <see cref="SendGridOptions.MaxRetryDelay"/>; other refusals and a SendGrid never reached
/// throw <see cref="MailRefusedException"/> with SendGrid's error text. Both say no copy can have been delivered, so a
/// notice's next attempt is not marked as sent again.</item>
/// <item>A failure that leaves delivery in doubt (a time-out or dropped connection after the request left, a gateway's
/// 502/504, a later request of several refused) throws <see cref="InvalidOperationException"/>.</item>
/// </list>
/// Returns the X-Message-Id of each accepted request (comma-joined when the recipients took several).
/// </summary>
public sealed class SendGridEmailSender : IEmailSender
{
    public const string HttpClientName = "cordon-sendgrid";
    public const int MaxRecipientsPerRequest = 1000;
    public const string CordonCategory = "cordon";

    /// <summary>Returned instead of an id when SendGrid accepted the request without an X-Message-Id
    /// (sandbox mode answers 200 without one).</summary>
    public const string NoMessageId = "sendgrid-accepted-without-id";

    readonly IHttpClientFactory httpClients;
    readonly SendGridOptions options;
    readonly TimeProvider time;
    readonly ILogger<SendGridEmailSender> logger;

    public SendGridEmailSender(IHttpClientFactory httpClients, IOptions<SendGridOptions> options, TimeProvider time, ILogger<SendGridEmailSender> logger)
    {
        ArgumentNullException.ThrowIfNull(httpClients);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        this.httpClients = httpClients;
        this.options = options.Value; // validated: throws OptionsValidationException naming the setting if wrong
        this.time = time;
        this.logger = logger;
    }

    public async Task<string> SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        List<string> recipients = Recipients(message.To);
        if (recipients.Count == 0)
        {
            throw new ArgumentException("The e-mail has no recipient.", nameof(message));
        }

        if (string.IsNullOrEmpty(message.Html) && string.IsNullOrEmpty(message.Text))
        {
            throw new ArgumentException("The e-mail has neither an HTML nor a text body.", nameof(message));
        }

        SendGridClient client = CreateClient();
        string[][] batches = recipients.Chunk(MaxRecipientsPerRequest).ToArray();
        var ids = new List<string>(batches.Length);
        for (int i = 0; i < batches.Length; i++)
        {
            SendGridMessage mail = Build(message, batches[i]);
            try
            {
                ids.Add(await SendOnceAsync(client, mail, message.Category, cancellationToken).ConfigureAwait(false));
            }
            catch (InvalidOperationException ex) when (ids.Count > 0)
            {
                // No refusal of the mail any more: the earlier requests' recipients have it.
                throw new InvalidOperationException(
                    $"{ex.Message} (request {i + 1} of {batches.Length}; the earlier {ids.Count} were accepted: {string.Join(',', ids)})", ex);
            }
        }

        return string.Join(',', ids);
    }

    SendGridClient CreateClient()
    {
        var clientOptions = new SendGridClientOptions { ApiKey = options.SendGridApiKey!.Trim() };
        if (!string.IsNullOrWhiteSpace(options.Host))
        {
            clientOptions.Host = options.Host.Trim();
        }

        return new SendGridClient(httpClients.CreateClient(HttpClientName), clientOptions);
    }

    static List<string> Recipients(IReadOnlyList<string>? to)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var list = new List<string>();
        foreach (string address in to ?? [])
        {
            string trimmed = address?.Trim() ?? "";
            if (trimmed.Length > 0 && seen.Add(trimmed))
            {
                list.Add(trimmed);
            }
        }

        return list;
    }

    SendGridMessage Build(EmailMessage message, string[] recipients)
    {
        var mail = new SendGridMessage
        {
            From = new EmailAddress(options.From!.Trim(), string.IsNullOrWhiteSpace(options.FromName) ? null : options.FromName),
            Subject = message.Subject,
            PlainTextContent = string.IsNullOrEmpty(message.Text) ? null : message.Text,
            HtmlContent = string.IsNullOrEmpty(message.Html) ? null : message.Html,
            Personalizations = recipients.Select(r => new Personalization { Tos = [new EmailAddress(r)] }).ToList(),
            Categories = new[] { message.Category, CordonCategory }
                .Where(c => !string.IsNullOrWhiteSpace(c))
                .Distinct(StringComparer.Ordinal)
                .ToList(),
            TrackingSettings = new TrackingSettings
            {
                ClickTracking = new ClickTracking { Enable = false, EnableText = false },
                OpenTracking = new OpenTracking { Enable = false },
                SubscriptionTracking = new SubscriptionTracking { Enable = false },
                Ganalytics = new Ganalytics { Enable = false },
            },
            MailSettings = new MailSettings { SandboxMode = new SandboxMode { Enable = options.SandboxMode } },
        };
        if (message.CustomArgs is { Count: > 0 })
        {
            mail.CustomArgs = new Dictionary<string, string>(message.CustomArgs, StringComparer.Ordinal);
        }

        return mail;
    }

    /// <summary>One request to SendGrid, sent once (see the class summary for what each failure throws).</summary>
    async Task<string> SendOnceAsync(SendGridClient client, SendGridMessage mail, string category, CancellationToken cancellationToken)
    {
        Response response;
        try
        {
            response = await client.SendEmailAsync(mail, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransport(ex, cancellationToken) && NeverSent(ex))
        {
            throw new MailRefusedException($"SendGrid could not be reached: {ex.Message}", ex);
        }
        catch (Exception ex) when (IsTransport(ex, cancellationToken))
        {
            // Sent, and then the answer was lost (a dropped connection, a time-out): SendGrid may have accepted it, and
            // mail has no idempotency key. Sent again here it was an unmarked duplicate (found by an attack: a client
            // got two identical notices); the step's rerun sends it again marked where that matters (MailAttempt).
            logger.LogWarning(ex, "SendGrid request ({Category}) failed after it was sent; not sent again by the sender", category);
            throw new InvalidOperationException($"SendGrid may have accepted the mail: the request failed after it was sent ({ex.Message}); not sent again here", ex);
        }

        if (response.IsSuccessStatusCode)
        {
            return MessageId(response);
        }

        int status = (int)response.StatusCode;
        string body = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout)
        {
            // A gateway's 502/504 says it had no good answer from SendGrid, which may have taken the mail.
            throw new InvalidOperationException(
                $"SendGrid's gateway answered {status} {response.StatusCode}, which leaves open whether SendGrid took the mail; not sent again here: {body}");
        }

        if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
        {
            TimeSpan? asked = ServerDelay(response);
            asked = asked > options.MaxRetryDelay ? options.MaxRetryDelay : asked;
            logger.LogWarning("SendGrid answered {Status} to a mail ({Category}); the step tries again after {Wait}", status, category, asked);
            throw new MailThrottledException($"SendGrid answered {status} {response.StatusCode}: {body}", asked);
        }

        throw new MailRefusedException($"SendGrid refused the mail with {status} {response.StatusCode}: {body}");
    }

    /// <summary>The request never left: the connection to SendGrid was not made (refused, name not resolved, TLS failed).</summary>
    static bool NeverSent(Exception ex) =>
        ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError };

    static bool IsTransport(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested); // HttpClient timeout

    /// <summary>The wait the server asked for: Retry-After (seconds or a date), else SendGrid's X-RateLimit-Reset (epoch seconds).</summary>
    TimeSpan? ServerDelay(Response response)
    {
        if (response.Headers?.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is TimeSpan delta)
            {
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            }

            if (retryAfter.Date is DateTimeOffset date)
            {
                TimeSpan untilDate = date - time.GetUtcNow();
                return untilDate < TimeSpan.Zero ? TimeSpan.Zero : untilDate;
            }
        }

        if (response.Headers is not null
            && response.Headers.TryGetValues("X-RateLimit-Reset", out IEnumerable<string>? values)
            && long.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long epochSeconds))
        {
            TimeSpan untilReset = DateTimeOffset.FromUnixTimeSeconds(epochSeconds) - time.GetUtcNow();
            return untilReset < TimeSpan.Zero ? TimeSpan.Zero : untilReset;
        }

        return null;
    }

    static string MessageId(Response response)
    {
        if (response.Headers is not null && response.Headers.TryGetValues("X-Message-Id", out IEnumerable<string>? values))
        {
            string? id = values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
            if (id is not null)
            {
                return id.Trim();
            }
        }

        return NoMessageId;
    }

    static async Task<string> ReadBodyAsync(Response response, CancellationToken cancellationToken)
    {
        if (response.Body is null)
        {
            return "(no body)";
        }

        string body = await response.Body.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(body) ? "(no body)" : body.Length > 4000 ? body[..4000] + "…" : body;
    }
}
