# Install rules and the Debian package: `cpack -G DEB` in the build folder writes
# hierscope_<version>_amd64.deb (tests/package checks it with lintian and runs the unpacked programs).
include(GNUInstallDirs)

set(HIERSCOPE_MAINTAINER "Hierscope maintainers <maintainers@users.noreply.b-seed-fb1847e2.example>"
    CACHE STRING "Maintainer of the Debian package: name <address>")
set(HIERSCOPE_APPSTREAM_ID io.github.hierscope.hierscope)
set(HS_PKG_SRC ${CMAKE_SOURCE_DIR}/packaging)
set(HS_PKG_OUT ${CMAKE_BINARY_DIR}/packaging)
set(HS_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/hierscope)

# Configures a packaging file (@PROJECT_VERSION@, @HIERSCOPE_MAINTAINER@, ...) and, for man pages and the
# changelog, compresses it as Debian wants them: gzip -9n (no name or time stamp, reproducible).
function(hs_configure_packaging_file input output)
  configure_file(${HS_PKG_SRC}/${input} ${HS_PKG_OUT}/${output} @ONLY)
  if(ARGV2 STREQUAL "GZIP")
    execute_process(COMMAND gzip -9n -c ${HS_PKG_OUT}/${output} OUTPUT_FILE ${HS_PKG_OUT}/${output}.gz
                    RESULT_VARIABLE failed)
    if(failed)
      message(FATAL_ERROR "gzip ${HS_PKG_OUT}/${output} failed")
    endif()
  endif()
endfunction()

foreach(page hierscope hierscope-cli hierscope-export)
  hs_configure_packaging_file(man/${page}.1 ${page}.1 GZIP)
  install(FILES ${HS_PKG_OUT}/${page}.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endforeach()
hs_configure_packaging_file(changelog changelog GZIP)
hs_configure_packaging_file(copyright copyright)
hs_configure_packaging_file(hierscope.metainfo.xml ${HIERSCOPE_APPSTREAM_ID}.metainfo.xml)
install(FILES ${HS_PKG_OUT}/changelog.gz ${HS_PKG_OUT}/copyright DESTINATION ${HS_DOCDIR})
install(FILES ${HS_PKG_OUT}/${HIERSCOPE_APPSTREAM_ID}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)

install(FILES ${HS_PKG_SRC}/hierscope.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${HS_PKG_SRC}/hierscope-mime.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/mime/packages
        RENAME hierscope.xml)
install(FILES ${CMAKE_SOURCE_DIR}/resources/icons/hierscope.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
install(FILES ${CMAKE_SOURCE_DIR}/resources/sample/bert_like_op17.onnx
              ${CMAKE_SOURCE_DIR}/resources/sample/bert_like_op17_seed_sidecar.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/hierscope/samples)
# The exporter's command line (sidecar conversion); as a library it needs torch (Suggests).
install(PROGRAMS ${CMAKE_SOURCE_DIR}/exporter/hierscope_export.py DESTINATION ${CMAKE_INSTALL_BINDIR}
        RENAME hierscope-export)

# A stripped install (cpack, install/strip) also drops the compilers' .comment notes from the programs, as
# Debian's dh_strip does (lintian: binary-has-unneeded-section). Runs after app/'s install rules (CMP0082).
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    foreach(program hierscope hierscope-cli)
      set(path \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/\${program}\")
      if(EXISTS \"\${path}\")
        execute_process(COMMAND \"${CMAKE_OBJCOPY}\" --remove-section=.comment \"\${path}\" COMMAND_ERROR_IS_FATAL ANY)
      endif()
    endforeach()
  endif()")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hierscope)
set(CPACK_PACKAGE_VENDOR "The Hierscope authors")
set(CPACK_PACKAGE_CONTACT "${HIERSCOPE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${HIERSCOPE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "explorer showing which PyTorch module each ONNX operator came from")
# Long description: lines of at most 76 characters (Debian wraps nothing; lintian wants < 80).
set(CPACK_PACKAGE_DESCRIPTION
    "Hierscope opens ONNX models exported from PyTorch and shows, for every
operator, the nn.Module it came from (encoder.layer.3.attention.self), how
sure it is and why. It reads the scopes torch's exporters write into node
names and metadata, ONNX local functions and sidecar files, and infers the
module of the remaining nodes from the graph around them.

The desktop application (hierscope) shows the module tree, the graph one
module at a time, the evidence for each placement and the uncertain nodes
first; nodes can be re-tagged by hand with undo, the tags saved to a sidecar
file, and a module extracted as a standalone ONNX model. hierscope-cli does
the same for scripts (summary, module tree, tagging, extraction), and
hierscope-export converts sidecar files (its Python library exports models
with PyTorch).")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # hierscope_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # library Depends from the binaries, added to the ones below
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3") # hierscope-export
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-torch") # the exporter's library use
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
    GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
include(CPack)
