using Accel.Hardware.Config;
using Accel.Hardware.Rtl;

namespace Accel.Hardware.Engine;

/// <summary>
/// The array with its skew and deskew registers: all lanes of one pixel enter together, row r
/// is delayed r cycles so it meets the partial sum coming down; column c's sum is delayed
/// Cols-1-c cycles so all columns of one pixel leave together, <see cref="EngineConfig.ArrayLatency"/>
/// cycles after entering.
/// </summary>
public static class Systolic
{
    public const string Name = "accel_systolic";

    public static Module Build(EngineConfig c)
    {
        int rows = c.Rows, cols = c.Cols, p = c.PsumBits, ob = EngineConfig.OperandBits;
        var m = new Module(Name).Describe($"Skew, {rows}x{cols} mesh, deskew: column sums of a pixel appear {c.ArrayLatency} cycles after it enters.");
        var clk = m.Input("clk_i");
        var act = m.Input("act_i", rows * ob);
        var sel = m.Input("sel_i");
        var we = m.Input("wt_we_i");
        var row = m.Input("wt_row_i", c.RowIndexBits);
        var bank = m.Input("wt_bank_i");
        var data = m.Input("wt_data_i", cols * EngineConfig.DataBits);
        var psumOut = m.Output("psum_o", cols * p);

        var skewedAct = new Expr[rows];
        var skewedSel = new Expr[rows];
        for (int r = 0; r < rows; r++)
        {
            Expr a = act.Slice(r * ob + ob - 1, r * ob), s = sel;
            for (int k = 0; k < r; k++)
            {
                a = m.Pipe($"skew_act_r{r}_{k}", a);
                s = m.Pipe($"skew_sel_r{r}_{k}", s);
            }
            skewedAct[r] = a;
            skewedSel[r] = s;
        }
        var meshAct = m.Wire("mesh_act", Expr.Cat(skewedAct.Reverse().ToArray()));
        var meshSel = m.Wire("mesh_sel", Expr.Cat(skewedSel.Reverse().ToArray()));
        var meshPsum = m.Wire("mesh_psum", cols * p);
        m.Instantiate(Mesh.Name, "u_mesh", null,
            ("clk_i", clk), ("act_i", meshAct), ("sel_i", meshSel), ("wt_we_i", we), ("wt_row_i", row),
            ("wt_bank_i", bank), ("wt_data_i", data), ("psum_o", meshPsum));

        var deskewed = new Expr[cols];
        for (int col = 0; col < cols; col++)
        {
            Expr s = meshPsum.Slice(col * p + p - 1, col * p);
            for (int k = 0; k < cols - 1 - col; k++) s = m.Pipe($"deskew_c{col}_{k}", s);
            deskewed[col] = s;
        }
        m.Assign(psumOut, Expr.Cat(deskewed.Reverse().ToArray()));
        m.Clocked(clk, null);
        return m;
    }
}
