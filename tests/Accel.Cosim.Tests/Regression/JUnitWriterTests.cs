using System.Xml.Linq;
using Accel.Cosim.Regression;
using Accel.Model.Networks;
using Xunit;

namespace Accel.Cosim.Tests.Regression;

public class JUnitWriterTests
{
    private static RegressionCaseResult Result(string id, int size, bool passed, string? failure = null, Mismatch? mismatch = null) =>
        new(new RegressionCase(id, "smoke", 0, size, CaseKinds.Conv, SaturationCorners.None, 1,
                new Network("n", new Shape(2, 3, 3), [new ConvLayer("c", 2, 1)])),
            passed, failure, mismatch, null, 100, 101, 50, TimeSpan.FromMilliseconds(1234), true);

    [Fact]
    public void WritesWellFormedEscapedJUnit()
    {
        var mismatch = new Mismatch("fire2/expand3x3", 3, 1, 2, 127, -128, 4);
        var results = new[]
        {
            Result("s1-c000-2x2-conv", 2, true),
            Result("s1-c004-2x2-conv", 2, false, mismatch.ToString(), mismatch),
            Result("s1-c001-4x4-conv", 4, false, "build failed: <a & \"b\"> \u0001 'c'"),
        };
        var path = Path.Combine(Path.GetTempPath(), "accel-junit-" + Guid.NewGuid().ToString("N")[..8], "out.xml");
        JUnitWriter.Write(path, "accel regress smoke", results);
        var doc = XDocument.Load(path);

        var root = doc.Root!;
        Assert.Equal("testsuites", root.Name.LocalName);
        Assert.Equal(("3", "1", "1"), ((string)root.Attribute("tests")!, (string)root.Attribute("failures")!, (string)root.Attribute("errors")!));
        var suites = root.Elements("testsuite").ToList();
        Assert.Equal(["smoke.2x2", "smoke.4x4"], suites.Select(s => (string)s.Attribute("name")!));
        var cases = root.Descendants("testcase").ToList();
        Assert.Equal(3, cases.Count);
        Assert.All(cases, c => Assert.Equal("1.234", (string)c.Attribute("time")!));
        Assert.Equal("smoke.2x2", (string)cases[1].Attribute("classname")!);
        Assert.Equal("s1-c004-2x2-conv", (string)cases[1].Attribute("name")!);
        var failure = cases[1].Element("failure")!;
        Assert.Contains("layer 'fire2/expand3x3' channel 3 y 1 x 2: expected 127, got -128", (string)failure.Attribute("message")!);
        var error = cases[2].Element("error")!;
        Assert.Equal("build failed: <a & \"b\">  'c'", (string)error.Attribute("message")!);
        Assert.Null(cases[0].Element("failure"));
        Directory.Delete(Path.GetDirectoryName(path)!, true);
    }
}
