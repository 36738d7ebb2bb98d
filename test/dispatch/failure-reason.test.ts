import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { executeAndWait, perTestApp, testApp, writeFakeOpenfast } from './support.js'

const t = perTestApp()

/** What OpenFAST v4.1.2 printed when the deck lacked its performance table, then a gfortran backtrace of ~6 kB. */
const OPENFAST_OUTPUT = [
  ' **************************************************************************************************',
  ' OpenFAST',
  ' Running OpenFAST (v4.1.2)',
  ' Time: 0 of 60 seconds.',
  ' ROSCO:ReadControlParameterFileSub:ReadCpFile:Cannot open file "deck/Cp_Ct_Cq.NREL5MW.txt"',
  ' FAST_Solution:FAST_UpdateStates:SrvD_UpdateStates:BladedInterface_CalcOutput:DLL_ControllerCall:Error in controller',
  '',
  ' OpenFAST encountered an error at simulation time 0 of 60 seconds.',
  ' Simulation error level: FATAL ERROR',
  '',
  ' Aborting OpenFAST.',
  ...Array.from(
    { length: 80 },
    (_, i) => `#${i}  0x00007f3a2b4c${String(i).padStart(4, '0')} in __module_MOD_routine_${i} at src/file_${i}.f90:${100 + i}`,
  ),
].join('\n')

describe('the error of a failed run states the reason, not the last characters of a backtrace', () => {
  it('keeps OpenFAST’s error lines in GET /status', async () => {
    await writeFile(join(t.dir, 'output.txt'), OPENFAST_OUTPUT)
    const exe = await writeFakeOpenfast(t.dir, `cat '${join(t.dir, 'output.txt')}'\nexit 1`)
    t.app = await testApp(join(t.dir, 'data'), {}, exe)
    const { status } = await executeAndWait(t.app, { engine: 'openfast', windSpeedMps: 9, durationS: 60 })
    expect(status.state).toBe('FAILED')
    expect(status.error).toContain('exited with code 1')
    expect(status.error).toContain('Cannot open file "deck/Cp_Ct_Cq.NREL5MW.txt"')
    expect(status.error).toContain('Simulation error level: FATAL ERROR')
    expect(status.error).toContain('Aborting OpenFAST.')
    expect(status.error).not.toContain('Running OpenFAST')
    expect(status.error!.length).toBeLessThan(2500)
  })

  it('keeps a rotor-model child’s error line, not its stack frames', async () => {
    t.app = await testApp(join(t.dir, 'data'))
    // Passes the schema (1 s ≤ durationS) but not the model's own check of the output step against the solver step.
    const { status } = await executeAndWait(t.app, { engine: 'rotor-model', windSpeedMps: 9, durationS: 2, outputDtS: 0.001 })
    expect(status.state).toBe('FAILED')
    expect(status.error).toMatch(
      /rotor-model exited with code 1: ModelError: outputDtS must be a finite number in \[0\.01, 60\], got 0\.001/,
    )
    expect(status.error).not.toMatch(/\bat runSimulation\b.*\bat /s)
  })
})
