using System.Globalization;
using System.Text;
using System.Xml;

namespace Accel.Cosim.Regression;

/// <summary>
/// JUnit XML as CI systems read it: one &lt;testsuite&gt; per class name (suite and array size),
/// a &lt;testcase&gt; per case named by its id, &lt;failure&gt; for a mismatch and &lt;error&gt; for a
/// case that could not run. Text is escaped, and characters XML cannot carry are dropped.
/// </summary>
public static class JUnitWriter
{
    public static void Write(string path, string name, IReadOnlyList<RegressionCaseResult> results, DateTimeOffset? timestamp = null)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        File.WriteAllText(path, ToXml(name, results, timestamp), new UTF8Encoding(false));
    }

    public static string ToXml(string name, IReadOnlyList<RegressionCaseResult> results, DateTimeOffset? timestamp = null)
    {
        var sb = new StringBuilder();
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), OmitXmlDeclaration = false };
        using (var w = XmlWriter.Create(new Utf8StringWriter(sb), settings))
        {
            w.WriteStartDocument();
            w.WriteStartElement("testsuites");
            w.WriteAttributeString("name", Clean(name));
            WriteCounts(w, results);
            foreach (var group in results.GroupBy(r => r.Case.ClassName))
            {
                var cases = group.ToList();
                w.WriteStartElement("testsuite");
                w.WriteAttributeString("name", Clean(group.Key));
                WriteCounts(w, cases);
                w.WriteAttributeString("skipped", "0");
                w.WriteAttributeString("timestamp", (timestamp ?? DateTimeOffset.UtcNow).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
                foreach (var r in cases) WriteCase(w, r);
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndDocument();
        }
        return sb.ToString();
    }

    private static void WriteCounts(XmlWriter w, IReadOnlyList<RegressionCaseResult> results)
    {
        w.WriteAttributeString("tests", results.Count.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("failures", results.Count(r => !r.Passed && !r.IsError).ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("errors", results.Count(r => r.IsError).ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("time", Seconds(TimeSpan.FromTicks(results.Sum(r => r.WallTime.Ticks))));
    }

    private static void WriteCase(XmlWriter w, RegressionCaseResult r)
    {
        w.WriteStartElement("testcase");
        w.WriteAttributeString("classname", Clean(r.Case.ClassName));
        w.WriteAttributeString("name", Clean(r.Case.Id));
        w.WriteAttributeString("time", Seconds(r.WallTime));
        if (!r.Passed)
        {
            w.WriteStartElement(r.IsError ? "error" : "failure");
            w.WriteAttributeString("message", Clean(r.Failure ?? "failed"));
            w.WriteAttributeString("type", r.IsError ? "error" : "mismatch");
            var details = new StringBuilder(r.Failure);
            if (r.DumpDirectory is not null) details.Append("\ntensors dumped to ").Append(r.DumpDirectory);
            w.WriteString(Clean(details.ToString()));
            w.WriteEndElement();
        }
        var c = r.Case;
        w.WriteElementString("system-out", Clean(
            $"{c.Description}; corner {c.Corner}; case seed {c.Seed}; cycles {r.Cycles} (predicted {r.PredictedCycles}, ideal {r.IdealCycles})"));
        w.WriteEndElement();
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>Drops characters XML 1.0 cannot carry (control characters from tool output would make the file unreadable).</summary>
    private static string Clean(string text)
    {
        if (text.All(XmlConvert.IsXmlChar)) return text;
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (XmlConvert.IsXmlChar(text[i])) sb.Append(text[i]);
            else if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], text[i])) sb.Append(text, i++, 2);
        }
        return sb.ToString();
    }

    /// <summary>A StringWriter that declares UTF-8, so the XML declaration matches the file's encoding.</summary>
    private sealed class Utf8StringWriter(StringBuilder sb) : StringWriter(sb, CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => new UTF8Encoding(false);
    }
}
