using System.Globalization;
using System.Text;
using Cordon.Alerts;

namespace Cordon.Incidents;

public enum IncidentListStatus { All, Open, Closed }

/// <summary>
/// GET /api/incidents?status=open|closed|all&amp;createdFrom=…&amp;createdTo=…&amp;pageSize=…&amp;continuation=…: one page of
/// the list, open incidents first by urgency, then closed ones newest first. Filters go into the Durable client
/// query; the continuation is opaque (the next page's link is in the answer's Link header).
/// </summary>
public sealed record IncidentListQuery(IncidentListStatus Status, DateTime? CreatedFrom, DateTime? CreatedTo, int PageSize, string? Continuation)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 500;

    public static readonly IncidentListQuery FirstPage = new(IncidentListStatus.All, null, null, DefaultPageSize, null);

    /// <summary>Reads the query string; each bad parameter is named, and nothing is listed.</summary>
    public static (IncidentListQuery Query, IReadOnlyList<string> Errors) Parse(Func<string, string?> query)
    {
        var errors = new List<string>();
        IncidentListStatus status = IncidentListStatus.All;
        switch (Blank(query("status")))
        {
            case null or "all": break;
            case "open": status = IncidentListStatus.Open; break;
            case "closed": status = IncidentListStatus.Closed; break;
            case string v: errors.Add($"status must be open, closed or all (got \"{Cut(v)}\")"); break;
        }

        DateTime? Time(string name)
        {
            string? v = Blank(query(name));
            if (v is null)
            {
                return null;
            }

            if (DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset t))
            {
                return t.UtcDateTime;
            }

            errors.Add($"{name} must be an RFC 3339 time, e.g. 2026-11-30T08:00:00Z (got \"{Cut(v)}\")");
            return null;
        }

        DateTime? from = Time("createdFrom"), to = Time("createdTo");
        if (from > to)
        {
            errors.Add("createdFrom must not be after createdTo");
        }

        int pageSize = DefaultPageSize;
        if (Blank(query("pageSize")) is { } ps &&
            !(int.TryParse(ps, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) && pageSize is >= 1 and <= MaxPageSize))
        {
            errors.Add($"pageSize must be a whole number from 1 to {MaxPageSize} (got \"{Cut(ps)}\")");
            pageSize = DefaultPageSize;
        }

        string? continuation = Blank(query("continuation"));
        if (continuation is not null && ListCursor.TryParse(continuation) is null)
        {
            errors.Add("continuation is not one this list handed out (take it from the Link header of the previous page)");
            continuation = null;
        }

        return (new IncidentListQuery(status, from, to, pageSize, continuation), errors);
    }

    /// <summary>The query string of the page after this one.</summary>
    public string NextQueryString(string continuation)
    {
        var q = new List<string>();
        if (Status != IncidentListStatus.All)
        {
            q.Add("status=" + Status.ToString().ToLowerInvariant());
        }

        if (CreatedFrom is { } f)
        {
            q.Add("createdFrom=" + Uri.EscapeDataString(f.ToString("O", CultureInfo.InvariantCulture)));
        }

        if (CreatedTo is { } t)
        {
            q.Add("createdTo=" + Uri.EscapeDataString(t.ToString("O", CultureInfo.InvariantCulture)));
        }

        if (PageSize != DefaultPageSize)
        {
            q.Add("pageSize=" + PageSize.ToString(CultureInfo.InvariantCulture));
        }

        q.Add("continuation=" + Uri.EscapeDataString(continuation));
        return "?" + string.Join("&", q);
    }

    static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    static string Cut(string s) => s.Length > 40 ? s[..40] + "…" : s;
}

/// <summary>One page of the list and the continuation of the next (null on the last page).</summary>
public sealed record IncidentPage(IReadOnlyList<IncidentRow> Rows, string? Next);

/// <summary>
/// Where the next page starts: an offset into the open incidents (ordered by urgency on every request), or, among
/// the closed ones, a creation time walked back from (<see cref="LastId"/>: the last row returned at exactly that
/// time; null: none was, every row at that time is still to come; empty: all were) and the time window that last fitted.
/// </summary>
public sealed record ListCursor(bool Closed, int Offset, DateTime Before, string? LastId, TimeSpan Window)
{
    public static ListCursor OpenStart => new(false, 0, default, null, default);

    public static ListCursor ClosedStart(DateTime before) => new(true, 0, before, null, ClosedPager.FirstWindow);

    public string Encode()
    {
        string raw = Closed
            ? string.Create(CultureInfo.InvariantCulture, $"c|{Before.Ticks}|{Window.Ticks}|{LastId ?? "*"}")
            : string.Create(CultureInfo.InvariantCulture, $"o|{Offset}");
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(raw)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static ListCursor? TryParse(string token)
    {
        if (token.Length > 200)
        {
            return null;
        }

        string b64 = token.Replace('-', '+').Replace('_', '/');
        b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
        byte[] bytes = new byte[b64.Length];
        if (!Convert.TryFromBase64String(b64, bytes, out int n))
        {
            return null;
        }

        string[] p = Encoding.UTF8.GetString(bytes, 0, n).Split('|');
        var inv = CultureInfo.InvariantCulture;
        return p switch
        {
            ["o", var o] when int.TryParse(o, NumberStyles.None, inv, out int offset) => new ListCursor(false, offset, default, null, default),
            ["c", var b, var w, var id] when long.TryParse(b, NumberStyles.None, inv, out long before) && before <= DateTime.MaxValue.Ticks &&
                // The window is one the pager hands out (found by an attack: a forged one of 6,000 years overflowed it, a 500).
                long.TryParse(w, NumberStyles.None, inv, out long window) && window > 0 && window <= ClosedPager.MaxWindow.Ticks && (id is "*" or "" || IncidentIds.LooksValid(id)) =>
                new ListCursor(true, 0, new DateTime(before, DateTimeKind.Utc), id == "*" ? null : id, TimeSpan.FromTicks(window)),
            _ => null,
        };
    }
}

/// <summary>A row with the store's creation time, which the time filters and the closed order use.</summary>
public sealed record ListedIncident(IncidentRow Row, DateTime CreatedAt);

/// <summary>
/// Closed incidents newest first, though the store returns a query's rows in no particular order: the pager walks
/// back in creation-time windows small enough to read whole and sort. A window holding more than one read takes
/// shrinks eightfold; an empty one grows eightfold, one with some rows by as much as the rows still wanted suggest (at
/// most eightfold); the window that fitted goes into the continuation. Every row a read returns crosses the store's
/// API with the incident's status, so rows read beyond the page are the pager's cost: an overflowing read returns
/// twice the rows still wanted.
/// </summary>
public static class ClosedPager
{
    public static readonly TimeSpan FirstWindow = TimeSpan.FromMinutes(1);
    static readonly TimeSpan MinWindow = TimeSpan.FromMilliseconds(1);
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(3650);
    const int MaxReads = 40;

    /// <summary>No incident is older than this (the creation-time floor when no createdFrom is given).</summary>
    public static readonly DateTime Floor = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// Up to <paramref name="wanted"/> rows from <paramref name="start"/> back to <paramref name="floor"/>, and the cursor
    /// after them (null when the floor is reached). <paramref name="read"/>(from, to, max) returns the closed incidents
    /// created in [from, to], and whether there were more than max.
    /// </summary>
    /// <param name="hint">
    /// Where the newest closed incidents were found last time (the first page of a dashboard that is polled): the first
    /// read covers the time since then, and the walk goes on below it with the window that fitted then. Only window sizes
    /// come from it: the walk stays contiguous from <paramref name="start"/>, so a wrong hint costs reads, never rows.
    /// </param>
    public static async Task<(List<IncidentRow> Rows, ListCursor? Next, ClosedHint? Hint)> PageAsync(
        Func<DateTime, DateTime, int, Task<(IReadOnlyList<ListedIncident> Rows, bool More)>> read, ListCursor start, DateTime floor, int wanted,
        ClosedHint? hint = null)
    {
        var page = new List<IncidentRow>();
        DateTime newest = DateTime.MinValue;
        ClosedHint? Hint(ListCursor? next) => next is not null && newest > DateTime.MinValue ? new ClosedHint(newest, next.Window) : null;
        DateTime to = start.Before;
        string? lastId = start.LastId;
        TimeSpan w = start.Window;
        TimeSpan? then = null;
        if (hint is { } h && h.NewestCreated < to && h.Window > TimeSpan.Zero)
        {
            w = Clamp(to - h.NewestCreated);
            then = h.Window;
        }

        for (int reads = 0; reads < MaxReads; reads++)
        {
            if (to <= floor && lastId == "")
            {
                return (page, null, null);
            }

            DateTime from = to - floor < w ? floor : to - w;
            int max = Math.Max(2 * (wanted - page.Count), 64);
            var (rows, more) = await read(from, to, w <= MinWindow ? int.MaxValue - 1 : max);
            foreach (ListedIncident r in rows)
            {
                newest = r.CreatedAt > newest ? r.CreatedAt : newest;
            }

            if (more && w > MinWindow)
            {
                w = w / 8 < MinWindow ? MinWindow : w / 8;
                then = null;
                continue;
            }

            string? after = lastId;
            DateTime top = to;
            var fresh = rows
                .Where(r => r.CreatedAt < top || (r.CreatedAt == top && (after is null || string.CompareOrdinal(r.Row.IncidentId, after) < 0)))
                .Where(r => r.CreatedAt >= from)
                .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Row.IncidentId, StringComparer.Ordinal)
                .ToList();
            int take = Math.Min(wanted - page.Count, fresh.Count);
            page.AddRange(fresh.Take(take).Select(r => r.Row));
            if (take < fresh.Count)
            {
                // The page is full inside this window: the next one starts just after its last row.
                ListedIncident last = fresh[take - 1];
                var next = new ListCursor(true, 0, last.CreatedAt, last.Row.IncidentId, w);
                return (page, next, Hint(next));
            }

            // The window is used up (its lower edge included): walk on below it.
            to = from;
            lastId = "";
            if (from <= floor)
            {
                return (page, null, null);
            }

            int still = wanted - page.Count;
            if (then is { } hinted)
            {
                w = Clamp(hinted);
                then = null;
            }
            else if (fresh.Count == 0)
            {
                w = Clamp(w * 8);
            }
            else if (fresh.Count < still)
            {
                // As many rows as are still wanted, and half as many again, at the density this window had.
                w = Clamp(w * Math.Min(8, 1.5 * still / fresh.Count));
            }

            if (page.Count >= wanted)
            {
                var next = new ListCursor(true, 0, to, lastId, w);
                return (page, next, Hint(next));
            }
        }

        var stopped = new ListCursor(true, 0, to, lastId, w);
        return (page, stopped, Hint(stopped));
    }

    static TimeSpan Clamp(TimeSpan w) => w < MinWindow ? MinWindow : w > MaxWindow ? MaxWindow : w;
}

/// <summary>Where the first closed page last found its newest incident, and the window that fitted there.</summary>
public sealed record ClosedHint(DateTime NewestCreated, TimeSpan Window);
