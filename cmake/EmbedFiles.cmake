# veikart_embed_files(<name> NAMESPACE <ns> FILES <relative paths...>)
# Generates <name>.hpp/.cpp exposing each file as `std::string_view <ns>::<identifier>()`, where the
# identifier is the file name with every non-alphanumeric character replaced by '_'.
function(veikart_embed_files name)
  cmake_parse_arguments(ARG "" "NAMESPACE" "FILES" ${ARGN})
  set(out_dir ${CMAKE_BINARY_DIR}/generated)
  set(header ${out_dir}/${name}.hpp)
  set(source ${out_dir}/${name}.cpp)
  set(abs_files)
  foreach(f IN LISTS ARG_FILES)
    list(APPEND abs_files ${CMAKE_SOURCE_DIR}/${f})
  endforeach()
  add_custom_command(
    OUTPUT ${header} ${source}
    COMMAND ${CMAKE_COMMAND} -DOUT_HEADER=${header} -DOUT_SOURCE=${source} -DNS=${ARG_NAMESPACE}
            -DFILES="${abs_files}" -P ${CMAKE_SOURCE_DIR}/cmake/EmbedFilesScript.cmake
    DEPENDS ${abs_files} ${CMAKE_SOURCE_DIR}/cmake/EmbedFilesScript.cmake
    COMMENT "Embedding ${name}")
  set(${name}_SOURCES ${source} ${header} PARENT_SCOPE)
  set(${name}_INCLUDE_DIR ${out_dir} PARENT_SCOPE)
endfunction()
